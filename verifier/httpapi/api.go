package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
)

type startBody struct {
	Phone          string `json:"phone"`
	Origin         string `json:"origin"`
	EmbeddedOrigin string `json:"embedded_origin"`
	ClientIP       string `json:"client_ip"`
	Locale         string `json:"locale"`
}

type checkBody struct {
	Phone string `json:"phone"`
	Code  string `json:"code"`
}

// decode reads the body as one JSON object into v. Unknown fields are
// ignored; anything else that is not such an object, or a field of the
// wrong type, is invalid_json. An empty body counts as {} when emptyOK.
func decode(ctx *fasthttp.RequestCtx, v any, emptyOK bool) error {
	body := ctx.PostBody()
	if len(body) > MaxBodySize {
		return errPayloadTooLarge
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 && emptyOK {
		return nil
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return verifier.Errorf(verifier.CodeInvalidJSON, "The request body must be a JSON object.")
	}
	if decodeFlat(trimmed, v) {
		return nil
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return verifier.Errorf(verifier.CodeInvalidJSON, "The field %q must be a JSON %s.", te.Field, jsonKind(te))
		}
		return verifier.Errorf(verifier.CodeInvalidJSON, "The request body is not valid JSON.")
	}
	return nil
}

func jsonKind(te *json.UnmarshalTypeError) string {
	switch te.Type.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "number"
	default:
		return "value of another type"
	}
}

// idParam returns the {id} of the route, refusing (as not found) what
// cannot be a verification id.
func idParam(ctx *fasthttp.RequestCtx) (string, error) {
	id, _ := ctx.UserValue("id").(string)
	if len(id) == 0 || len(id) > 64 {
		return "", verifier.ErrNotFound
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return "", verifier.ErrNotFound
		}
	}
	return id, nil
}

// requestContext bounds the store and sender work of one request. It is
// deliberately not the fasthttp.RequestCtx, whose Done closes at shutdown:
// in-flight requests must finish during a graceful shutdown. It arms a
// timer only when the work waits on its Done (see deadlineCtx).
func (s *Server) requestContext() (context.Context, func()) {
	c := newDeadlineCtx(s.cfg.RequestTimeout)
	return c, c.release
}

func (s *Server) start(ctx *fasthttp.RequestCtx, app *verifier.App) {
	var b startBody
	if err := decode(ctx, &b, false); err != nil {
		writeError(ctx, s.log, err)
		return
	}
	if b.Phone == "" {
		writeError(ctx, s.log, verifier.Errorf(verifier.CodeInvalidPhone, "A phone number is required."))
		return
	}
	if b.Origin == "" {
		writeError(ctx, s.log, verifier.Errorf(verifier.CodeInvalidOrigin, "An origin is required."))
		return
	}
	c, cancel := s.requestContext()
	defer cancel()
	v, err := s.cfg.Service.Start(c, app, verifier.StartRequest{
		Phone: b.Phone, Origin: b.Origin, EmbeddedOrigin: b.EmbeddedOrigin, ClientIP: b.ClientIP, Locale: b.Locale,
	})
	if err != nil {
		s.metrics.failed(err)
		writeError(ctx, s.log, err)
		return
	}
	s.metrics.started.Inc()
	s.metrics.sends.Inc()
	var buf [512]byte
	writeJSON(ctx, fasthttp.StatusCreated, appendVerification(buf[:0], v, s.cfg.Service.Now()))
}

func (s *Server) get(ctx *fasthttp.RequestCtx, app *verifier.App) {
	s.byID(ctx, app, s.cfg.Service.Get)
}

func (s *Server) cancel(ctx *fasthttp.RequestCtx, app *verifier.App) {
	s.byID(ctx, app, s.cfg.Service.Cancel)
}

func (s *Server) resend(ctx *fasthttp.RequestCtx, app *verifier.App) {
	var b struct{}
	if err := decode(ctx, &b, true); err != nil {
		writeError(ctx, s.log, err)
		return
	}
	s.byID(ctx, app, func(c context.Context, app *verifier.App, id string) (*verifier.Verification, error) {
		v, err := s.cfg.Service.Resend(c, app, id)
		if err == nil {
			s.metrics.sends.Inc()
		}
		return v, err
	})
}

func (s *Server) byID(ctx *fasthttp.RequestCtx, app *verifier.App, op func(context.Context, *verifier.App, string) (*verifier.Verification, error)) {
	id, err := idParam(ctx)
	if err != nil {
		writeError(ctx, s.log, err)
		return
	}
	c, cancel := s.requestContext()
	defer cancel()
	v, err := op(c, app, id)
	if err != nil {
		s.metrics.failed(err)
		writeError(ctx, s.log, err)
		return
	}
	var buf [512]byte
	writeJSON(ctx, fasthttp.StatusOK, appendVerification(buf[:0], v, s.cfg.Service.Now()))
}

func (s *Server) check(ctx *fasthttp.RequestCtx, app *verifier.App) {
	id, err := idParam(ctx)
	if err != nil {
		writeError(ctx, s.log, err)
		return
	}
	var b checkBody
	if err := decode(ctx, &b, false); err != nil {
		writeError(ctx, s.log, err)
		return
	}
	if b.Code == "" {
		writeError(ctx, s.log, verifier.Errorf(verifier.CodeInvalidCode, "A code is required."))
		return
	}
	c, cancel := s.requestContext()
	defer cancel()
	res, err := s.cfg.Service.Check(c, app, id, b.Code)
	s.answerCheck(ctx, res, err)
}

func (s *Server) checkPhone(ctx *fasthttp.RequestCtx, app *verifier.App) {
	var b checkBody
	if err := decode(ctx, &b, false); err != nil {
		writeError(ctx, s.log, err)
		return
	}
	if b.Phone == "" {
		writeError(ctx, s.log, verifier.Errorf(verifier.CodeInvalidPhone, "A phone number is required."))
		return
	}
	if b.Code == "" {
		writeError(ctx, s.log, verifier.Errorf(verifier.CodeInvalidCode, "A code is required."))
		return
	}
	c, cancel := s.requestContext()
	defer cancel()
	res, err := s.cfg.Service.CheckPhone(c, app, b.Phone, b.Code)
	s.answerCheck(ctx, res, err)
}

func (s *Server) answerCheck(ctx *fasthttp.RequestCtx, res *verifier.CheckResult, err error) {
	if err == nil && (res == nil || res.Verification == nil) {
		err = fmt.Errorf("httpapi: check returned no verification")
	}
	if err != nil {
		s.metrics.failed(err)
		writeError(ctx, s.log, err)
		return
	}
	if res.Valid {
		s.metrics.approved.Inc()
	} else {
		s.metrics.checksFailed.Inc()
	}
	var buf [512]byte
	writeJSON(ctx, fasthttp.StatusOK, appendCheck(buf[:0], res.Valid, res.Verification, s.cfg.Service.Now()))
}
