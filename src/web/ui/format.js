// How numbers, sizes, times and commands are written on every page.

export function milli(m) {
  const gpus = m / 1000;
  return `${Number.isInteger(gpus) ? gpus : gpus.toFixed(3).replace(/0+$/, '')} GPU`;
}

export function mib(v) {
  if (v === null || v === undefined) return '—';
  if (v >= 1024 * 1024) return `${trim(v / (1024 * 1024))} TiB`;
  if (v >= 1024) return `${trim(v / 1024)} GiB`;
  return `${v} MiB`;
}

function trim(x) {
  return x >= 100 || Number.isInteger(x) ? String(Math.round(x)) : x.toFixed(1).replace(/\.0$/, '');
}

export function number(x, digits = 2) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  return x.toLocaleString(undefined, {maximumFractionDigits: digits, minimumFractionDigits: 0});
}

// A measured amount with the digits it needs: 1234, 12.35, 0.0055 (three significant digits
// below 1), 0.
export function quantity(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  const a = Math.abs(x);
  if (a === 0) return '0';
  const digits = a >= 100 ? 0 : a >= 1 ? 2 : Math.min(8, 2 - Math.floor(Math.log10(a)));
  return x.toLocaleString(undefined, {maximumFractionDigits: digits, minimumFractionDigits: 0});
}

export function money(x, currency) {
  const amount = quantity(x);
  return currency ? `${amount} ${currency}` : amount;
}

// "12 s", "4 m 03 s", "2 h 10 m", "3 d 4 h".
export function duration(ms) {
  if (!(ms >= 0)) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, '0')} s`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs} h ${String(m % 60).padStart(2, '0')} m`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}

export function time(ms) {
  if (!ms) return '—';
  return new Date(ms).toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit'});
}

export function ago(ms, now = Date.now()) {
  if (!ms) return '—';
  return `${duration(Math.max(0, now - ms))} ago`;
}

// argv as a shell would need it typed.
export function command(argv) {
  return (argv || []).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

// What a job asks for: "1 GPU, 20 GiB GPU memory, 2 CPUs, 4 GiB".
export function resources(r) {
  if (!r) return '—';
  const parts = [];
  if (r.gpu_count > 0) {
    parts.push(r.gpu_milli >= 1000 ? `${r.gpu_count} GPU${r.gpu_count > 1 ? 's' : ''}` : milli(r.gpu_milli));
  }
  if (r.gpu_memory_mib > 0) parts.push(`${mib(r.gpu_memory_mib)} GPU memory`);
  if (r.cpu_milli > 0) parts.push(`${r.cpu_milli / 1000} CPU${r.cpu_milli === 1000 ? '' : 's'}`);
  if (r.memory_mib > 0) parts.push(`${mib(r.memory_mib)} memory`);
  if (r.gpu_models && r.gpu_models.length) parts.push(`model ${r.gpu_models.join(' or ')}`);
  return parts.length ? parts.join(', ') : 'CPU only';
}

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
