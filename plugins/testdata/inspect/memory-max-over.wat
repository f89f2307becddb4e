;; Declares a maximum of 1000 pages, over the host limit (warning: memory_max_over_limit).
(module
  (memory (export "memory") 1 1000)
  (func (export "agentshape_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "shape") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32)) (i64.extend_i32_u (local.get 1)))))
