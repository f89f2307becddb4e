;; hostile command plugin: _start never returns. The host must stop it at the
;; call timeout (ErrTimeout); commands get a fresh instance per call anyway.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever (br $forever)))
)
