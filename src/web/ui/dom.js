// Small DOM helpers. Every text goes in through textContent / attributes, never innerHTML, so
// whatever a job or a tenant is called is shown, not run.

// h('a', {href: '#/x', class: 'c', onclick: fn}, 'text', child, [more]) -> element.
// Attribute values of null/undefined/false are left out; true sets an empty attribute.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

// The same for SVG elements.
const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// Replaces every child of `el` with `children`.
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// A table: columns [{label, cell(row) -> node|string, className}], rows, and a caption.
export function table(columns, rows, {caption, empty = 'Nothing here.', rowClass} = {}) {
  if (rows.length === 0) return h('p', {class: 'empty'}, empty);
  return h('table', {class: 'grid'},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', {scope: 'col', class: c.className}, c.label)))),
    h('tbody', {}, rows.map((row) =>
      h('tr', {class: rowClass ? rowClass(row) : null},
        columns.map((c) => h('td', {class: c.className}, c.cell(row)))))));
}

// A labelled form field: h('label') around the text and the control.
export function field(label, control, hint) {
  return h('label', {class: 'field'}, h('span', {class: 'field-label'}, label), control,
    hint ? h('span', {class: 'hint'}, hint) : null);
}

// A message box; kind is 'error', 'info' or 'ok'. Errors are announced to screen readers.
export function notice(kind, ...text) {
  return h('div', {class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status'}, ...text);
}

export function badge(text, kind) {
  return h('span', {class: `badge ${kind || ''}`}, text);
}
