;; hostile: shape computes fib(60) by naive recursion: about 2^42 calls and no
;; loop anywhere. wazero checks for timeouts only at loop headers, so the host
;; instruments every function entry; the call must end at the timeout
;; (ErrTimeout), not run for years.
(module
  (memory (export "memory") 1)
  (func (export "agentshape_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "shape") (param i32 i32) (result i64)
    (i64.extend_i32_u (call $fib (i32.const 60))))
)
