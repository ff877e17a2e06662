package httpapi

// decodeFlat is the fast path of decode for the usual request body: one
// JSON object whose members are all strings of printable ASCII without
// escapes, e.g. {"code":"123456"}. It fills the fields of v as
// json.Unmarshal would (keys matched exactly or else ignoring ASCII case,
// the last of duplicate keys winning, unknown keys ignored) and reports
// true; on anything else it changes nothing and reports false, and the
// caller falls back to encoding/json, which gives the same result or the
// error. FuzzDecodeFlat checks the two agree.
func decodeFlat(data []byte, v any) bool {
	var names [5]string
	var dst [5]*string
	n := 0
	switch t := v.(type) {
	case *checkBody:
		names[0], dst[0] = "phone", &t.Phone
		names[1], dst[1] = "code", &t.Code
		n = 2
	case *startBody:
		names[0], dst[0] = "phone", &t.Phone
		names[1], dst[1] = "origin", &t.Origin
		names[2], dst[2] = "embedded_origin", &t.EmbeddedOrigin
		names[3], dst[3] = "client_ip", &t.ClientIP
		names[4], dst[4] = "locale", &t.Locale
		n = 5
	case *struct{}:
	default:
		return false
	}
	// First pass: check the syntax and find where each field's last value
	// is, without changing v.
	var val [5][]byte
	var set [5]bool
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		key, next, ok := flatString(data, i)
		if !ok {
			return false
		}
		i = skipSpace(data, next)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		value, next, ok := flatString(data, skipSpace(data, i+1))
		if !ok {
			return false
		}
		if f := fieldOf(names[:n], key); f >= 0 {
			val[f], set[f] = value, true
		}
		i = skipSpace(data, next)
		if i >= len(data) {
			return false
		}
		if data[i] == '}' {
			if skipSpace(data, i+1) != len(data) {
				return false
			}
			break
		}
		if data[i] != ',' {
			return false
		}
		i = skipSpace(data, i+1)
	}
	for f := range n {
		if set[f] {
			*dst[f] = string(val[f])
		}
	}
	return true
}

// fieldOf returns the index of the name key matches, exactly or else
// ignoring ASCII case as encoding/json does, or -1.
func fieldOf(names []string, key []byte) int {
	for f, name := range names {
		if string(key) == name {
			return f
		}
	}
	for f, name := range names {
		if asciiEqualFold(key, name) {
			return f
		}
	}
	return -1
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// flatString reads a JSON string of printable ASCII without escapes at
// data[i], returning its contents and the index after it.
func flatString(data []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(data) || data[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return data[i+1 : j], j + 1, true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}
