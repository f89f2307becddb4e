;; A reactor whose _initialize traps: it passes every static check, and the
;; host refuses it at instantiation (inspect reports host_load unless --static).
(module
  (memory (export "memory") 1)
  (func (export "_initialize") unreachable)
  (func (export "agentshape_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "shape") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32)) (i64.extend_i32_u (local.get 1)))))
