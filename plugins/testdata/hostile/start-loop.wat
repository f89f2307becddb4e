;; hostile: the module's start function never returns. wazero runs a start
;; section inside instantiation; the host turns it into an export it calls
;; itself under the instantiation deadline, so the load fails with a timeout
;; instead of hanging.
(module
  (memory (export "memory") 1)
  (func (export "agentshape_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "shape") (param i32 i32) (result i64) (i64.const 0))
  (func $spin (loop $forever (br $forever)))
  (start $spin)
)
