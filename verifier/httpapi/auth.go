package httpapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
)

// Key is one API key, kept as its SHA-256 hash, and the app it opens.
type Key struct {
	SHA256 [sha256.Size]byte
	App    *verifier.App
}

// HashKey returns the SHA-256 hash under which an API key is configured.
func HashKey(key string) [sha256.Size]byte { return sha256.Sum256([]byte(key)) }

// ParseKeyHash parses a key's SHA-256 hash written in hex (as
// `printf %s KEY | sha256sum` prints it).
func ParseKeyHash(s string) ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return h, fmt.Errorf("api key hash %q is not 64 hex digits", s)
	}
	copy(h[:], b)
	return h, nil
}

type authedHandler func(ctx *fasthttp.RequestCtx, app *verifier.App)

// authed requires a known bearer key and hands its app to h; otherwise it
// answers 401 unauthorized.
func (s *Server) authed(h authedHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		app := s.appFor(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization))
		if app == nil {
			ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="webotp"`)
			writeError(ctx, s.log, errUnauthorized)
			return
		}
		h(ctx, app)
	}
}

// appFor returns the app of an "Authorization: Bearer <key>" header, or
// nil. The presented key is hashed and compared in constant time with every
// configured hash, so the time taken says nothing about which key, or how
// much of one, matched.
func (s *Server) appFor(header []byte) *verifier.App {
	const prefix = "bearer "
	if len(header) <= len(prefix) || !bytes.EqualFold(header[:len(prefix)], []byte(prefix)) {
		return nil
	}
	key := bytes.TrimSpace(header[len(prefix):])
	if len(key) == 0 {
		return nil
	}
	sum := sha256.Sum256(key)
	var found *verifier.App
	for i := range s.keys {
		if subtle.ConstantTimeCompare(sum[:], s.keys[i].SHA256[:]) == 1 && found == nil {
			found = s.keys[i].App
		}
	}
	return found
}
