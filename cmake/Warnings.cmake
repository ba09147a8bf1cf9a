# Warning flags for every fastgpu target: fg_set_warnings(target).
function(fg_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                                           -Wno-missing-field-initializers)
  if(FASTGPU_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
