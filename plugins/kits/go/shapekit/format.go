package shapekit

import "strconv"

// sprintf is the kit's small replacement for fmt.Sprintf (see json.go for
// why the kit avoids fmt). It understands %s, %v, %q, %d and %%; values are
// strings, errors, Stringers, booleans, Go integers, floats and Numbers.
func sprintf(format string, args ...any) string {
	b := make([]byte, 0, len(format)+16*len(args))
	n := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b = append(b, c)
			continue
		}
		i++
		verb := format[i]
		if verb == '%' {
			b = append(b, '%')
			continue
		}
		if n >= len(args) {
			b = append(b, "%!"...)
			b = append(b, verb)
			b = append(b, "(MISSING)"...)
			continue
		}
		s := text(args[n])
		n++
		if verb == 'q' {
			b = strconv.AppendQuote(b, s)
		} else {
			b = append(b, s...)
		}
	}
	return string(b)
}

// text renders one formatting argument.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return x
	case error:
		return x.Error()
	case interface{ String() string }:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	if b, err := EncodeJSON(v); err == nil {
		return string(b)
	}
	return "<" + typeName(v) + ">"
}
