;; A reactor with a wasm start function (warning: start_function).
(module
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (func $init (global.set $g (i32.const 1)))
  (start $init)
  (func (export "agentshape_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "shape") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32)) (i64.extend_i32_u (local.get 1)))))
