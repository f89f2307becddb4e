;; hostile: tries to read environment variables and arguments through WASI
;; (environ_sizes_get, environ_get, args_sizes_get). The sandbox has none, so the
;; counts are zero. The plugin reports what it saw:
;; {"error":{"code":"denied","message":"environ_count=NN args_count=NN"}};
;; if it found any variable or argument it answers {"request":{"leaked":true}}.
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $envsizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $envget (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $argsizes (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"error\":{\"code\":\"denied\",\"message\":\"environ_count=NN args_count=NN\"}}")
  (data (i32.const 144) "{\"request\":{\"leaked\":true}}")
  (func (export "agentshape_abi_v1"))
  ;; alloc: the envelope always goes to 1024 (grown into place when needed).
  (func (export "alloc") (param $size i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (i32.const 1024) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.sub (i32.add (i32.shr_u (local.get $end) (i32.const 16)) (i32.const 1)) (memory.size)))
                        (i32.const -1))
              (then unreachable))))
    (i32.const 1024))
  ;; put2(addr, v): v as two decimal digits at addr.
  (func $put2 (param $a i32) (param $v i32)
    (i32.store8 (local.get $a) (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $v) (i32.const 10)) (i32.const 10))))
    (i32.store8 (i32.add (local.get $a) (i32.const 1)) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10)))))
  (func (export "shape") (param i32 i32) (result i64)
    (drop (call $envsizes (i32.const 512) (i32.const 516)))
    (drop (call $envget (i32.const 640) (i32.const 768)))
    (drop (call $argsizes (i32.const 520) (i32.const 524)))
    (if (i32.or (i32.or (i32.load (i32.const 512)) (i32.load (i32.const 516)))
                (i32.or (i32.load (i32.const 520)) (i32.load (i32.const 524))))
      (then (return (i64.const 0x000000900000001b))))
    (call $put2 (i32.const 67) (i32.load (i32.const 512)))
    (call $put2 (i32.const 81) (i32.load (i32.const 520)))
    (i64.const 0x0000001000000046)) ;; output at 16, 70 bytes
)
