package verifier

import (
	"strings"

	"github.com/webotp/webotp/otpmsg"
)

// canonicalOrigin checks that origin is exactly scheme://host[:port] with
// https (http only for localhost when dev) and returns it as browsers
// serialize it (lowercase, IDN as punycode, no default port) with the host
// an SMS names.
func canonicalOrigin(origin string, dev bool) (canon, host string, err error) {
	host, herr := otpmsg.HostFromOrigin(origin)
	if herr != nil {
		return "", "", Errorf(CodeInvalidOrigin, "The origin must be exactly https://host[:port], without path, query or user.")
	}
	i := strings.Index(origin, "://")
	scheme := strings.ToLower(origin[:i])
	if scheme != "https" && (scheme != "http" || !dev || !otpmsg.IsLocalhost(host)) {
		return "", "", Errorf(CodeInvalidOrigin, "The origin must use https.")
	}
	canon = scheme + "://" + host
	rest := origin[i+3:]
	if j := strings.LastIndexByte(rest, ':'); j >= 0 {
		port := strings.TrimLeft(rest[j+1:], "0")
		if port == "" {
			port = "0"
		}
		if !(scheme == "https" && port == "443" || scheme == "http" && port == "80") {
			canon += ":" + port
		}
	}
	return canon, host, nil
}

// allowedOrigin checks origin and that app allows it; it returns the
// canonical origin and its SMS host.
func allowedOrigin(app *App, origin string, dev bool) (canon, host string, err error) {
	canon, host, err = canonicalOrigin(origin, dev)
	if err != nil {
		return "", "", err
	}
	for _, o := range app.Origins {
		if o == canon {
			return canon, host, nil
		}
		if c, _, err := canonicalOrigin(o, dev); err == nil && c == canon {
			return canon, host, nil
		}
	}
	return "", "", Errorf(CodeOriginNotAllowed, "The origin %s is not allowed for this app.", canon)
}
