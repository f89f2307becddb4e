;; wrong-field: adds "userId", a field the Start Session API does not know
;; Deliberately broken plugin for the conformance gate's own tests
;; (`agentshape conformance` must fail on it with a schema violation at /userId).
;; It copies the request from the envelope and adds "userId" to it (the API answers such a request with 400 Unrecognized field).
(module
  (memory (export "memory") 1)

  ;; Bytes 0..1023 hold constants; the heap starts at 1024.
  (data (i32.const 16) "{\"request\":{")   ;; 12 bytes
  (data (i32.const 64) "\"userId\":\"005000000000001AAA\"")  ;; 29 bytes
  (global $heap (mut i32) (i32.const 1024))
  (global $calls (mut i32) (i32.const 0))

  (func (export "agentshape_abi_v1"))

  ;; alloc restarts the bump heap: the host calls it once per call, before shape.
  (func (export "alloc") (param $size i32) (result i32)
    (global.set $heap (i32.const 1024))
    (call $reserve (local.get $size)))

  (func $reserve (param $n i32) (result i32)
    (local $p i32) (local $end i32)
    (local.set $p (global.get $heap))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (memory.grow
                      (i32.sub (i32.add (i32.shr_u (local.get $end) (i32.const 16)) (i32.const 1))
                               (memory.size)))
                    (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $p))

  (func $skipString (param $i i32) (param $end i32) (result i32)
    (local $c i32)
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.eq (local.get $c) (i32.const 92))
          (then (local.set $i (i32.add (local.get $i) (i32.const 2))) (br $next)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $done (i32.eq (local.get $c) (i32.const 34)))
        (br $next)))
    (local.get $i))

  (func $skipObject (param $i i32) (param $end i32) (result i32)
    (local $c i32) (local $depth i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.eq (local.get $c) (i32.const 34))
          (then (local.set $i (call $skipString (local.get $i) (local.get $end))) (br $next)))
        (if (i32.or (i32.eq (local.get $c) (i32.const 123)) (i32.eq (local.get $c) (i32.const 91)))
          (then (local.set $depth (i32.add (local.get $depth) (i32.const 1)))))
        (if (i32.or (i32.eq (local.get $c) (i32.const 125)) (i32.eq (local.get $c) (i32.const 93)))
          (then (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $done (i32.eqz (local.get $depth)))
        (br $next)))
    (local.get $i))

  (func $isRequestKey (param $i i32) (result i32)
    (i32.and
      (i64.eq (i64.load (local.get $i)) (i64.const 0x7473657571657222))
      (i32.eq (i32.load16_u (i32.add (local.get $i) (i32.const 8))) (i32.const 0x3a22))))

  (func $skipWS (param $i i32) (param $end i32) (result i32)
    (block $ws
      (loop $skip
        (br_if $ws (i32.ge_u (local.get $i) (local.get $end)))
        (br_if $ws (i32.gt_u (i32.load8_u (local.get $i)) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $skip)))
    (local.get $i))

  ;; shape(ptr, len) -> (out_ptr << 32) | out_len
  (func (export "shape") (param $ptr i32) (param $len i32) (result i64)
    (local $i i32) (local $end i32) (local $c i32) (local $depth i32)
    (local $vstart i32) (local $vend i32) (local $out i32) (local $n i32)
    (local $ins i32) (local $inslen i32) (local $rest i32) (local $comma i32)
    (local $k i64)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (local.set $ins (i32.const 64)) (local.set $inslen (i32.const 29))
    (local.set $i (local.get $ptr))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $found
      (loop $scan
        (if (i32.ge_u (local.get $i) (local.get $end)) (then unreachable))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.eq (local.get $c) (i32.const 34))
          (then
            (if (i32.and (i32.eq (local.get $depth) (i32.const 1))
                         (i32.le_u (i32.add (local.get $i) (i32.const 10)) (local.get $end)))
              (then (br_if $found (call $isRequestKey (local.get $i)))))
            (local.set $i (call $skipString (local.get $i) (local.get $end)))
            (br $scan)))
        (if (i32.or (i32.eq (local.get $c) (i32.const 123)) (i32.eq (local.get $c) (i32.const 91)))
          (then (local.set $depth (i32.add (local.get $depth) (i32.const 1)))))
        (if (i32.or (i32.eq (local.get $c) (i32.const 125)) (i32.eq (local.get $c) (i32.const 93)))
          (then (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (local.set $vstart (call $skipWS (i32.add (local.get $i) (i32.const 10)) (local.get $end)))
    ;; the request must be an object
    (if (i32.ne (i32.load8_u (local.get $vstart)) (i32.const 123)) (then unreachable))
    (local.set $vend (call $skipObject (local.get $vstart) (local.get $end)))
    ;; rest = the members after the opening brace, closing brace included
    (local.set $rest (i32.add (local.get $vstart) (i32.const 1)))
    (local.set $comma
      (i32.and (i32.ne (local.get $inslen) (i32.const 0))
               (i32.ne (i32.load8_u (call $skipWS (local.get $rest) (local.get $vend))) (i32.const 125))))
    ;; {"request":{ + insertion + [,] + rest + }
    (local.set $n (i32.add (i32.add (i32.const 13) (local.get $inslen))
                           (i32.add (local.get $comma) (i32.sub (local.get $vend) (local.get $rest)))))
    (local.set $out (call $reserve (local.get $n)))
    (memory.copy (local.get $out) (i32.const 16) (i32.const 12))
    (memory.copy (i32.add (local.get $out) (i32.const 12)) (local.get $ins) (local.get $inslen))
    (if (local.get $comma)
      (then (i32.store8 (i32.add (i32.add (local.get $out) (i32.const 12)) (local.get $inslen)) (i32.const 44))))
    (memory.copy (i32.add (i32.add (local.get $out) (i32.const 12)) (i32.add (local.get $inslen) (local.get $comma)))
                 (local.get $rest) (i32.sub (local.get $vend) (local.get $rest)))
    (i32.store8 (i32.add (local.get $out) (i32.sub (local.get $n) (i32.const 1))) (i32.const 125))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (local.get $n))))
)
