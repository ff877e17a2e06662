package controller

// The controller handles attribute values and hostnames, which are
// ASCII where it matters. These helpers stand in for strings.ToLower and
// strings.TrimSpace, whose Unicode tables would otherwise be linked into
// the wasm.

// lowerASCII lowercases ASCII letters and leaves every other byte alone.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// isASCIISpace reports whether c is HTML's ASCII whitespace.
func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// trimASCII removes leading and trailing ASCII whitespace, as HTML
// does for attribute values.
func trimASCII(s string) string {
	for len(s) > 0 && isASCIISpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isASCIISpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}
