;; hostile command plugin: _start grows memory until growth fails, then traps.
;; The per-plugin page limit must stop it (ErrMemoryLimit).
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $grow
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
      (br $grow)))
)
