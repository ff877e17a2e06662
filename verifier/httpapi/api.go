package httpapi

import (
	"context"
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
)

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
// in-flight requests must finish during a graceful shutdown.
func (s *Server) requestContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
}

func (s *Server) start(ctx *fasthttp.RequestCtx, app *verifier.App) {
	var b startBody
	if err := decode(ctx, &b, false); err != nil {
		writeError(ctx, s.log, err)
		return
	}
	switch {
	case b.Channel == string(verifier.ChannelEmail) && b.Email == "":
		writeError(ctx, s.log, verifier.Errorf(verifier.CodeInvalidEmail, "An email address is required."))
		return
	case b.Channel != string(verifier.ChannelEmail) && b.Phone == "" && b.Email == "":
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
		Channel: b.Channel, Phone: b.Phone, Email: b.Email,
		Origin: b.Origin, EmbeddedOrigin: b.EmbeddedOrigin, ClientIP: b.ClientIP, Locale: b.Locale,
	})
	if err != nil {
		s.metrics.failed(err, channelOf(v))
		writeError(ctx, s.log, err)
		return
	}
	s.metrics.started.of(v.Channel).Inc()
	s.metrics.sends.of(v.Channel).Inc()
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
			s.metrics.sends.of(v.Channel).Inc()
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
		s.metrics.failed(err, channelOf(v))
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

// checkNewest checks the newest verification of a phone number or, given
// "email" instead, of an email address.
func (s *Server) checkNewest(ctx *fasthttp.RequestCtx, app *verifier.App) {
	var b checkBody
	if err := decode(ctx, &b, false); err != nil {
		writeError(ctx, s.log, err)
		return
	}
	switch {
	case b.Phone != "" && b.Email != "":
		writeError(ctx, s.log, verifier.Errorf(verifier.CodeInvalidRequest, "Give a phone number or an email address, not both."))
		return
	case b.Phone == "" && b.Email == "":
		writeError(ctx, s.log, verifier.Errorf(verifier.CodeInvalidPhone, "A phone number (or an email address) is required."))
		return
	}
	if b.Code == "" {
		writeError(ctx, s.log, verifier.Errorf(verifier.CodeInvalidCode, "A code is required."))
		return
	}
	c, cancel := s.requestContext()
	defer cancel()
	var res *verifier.CheckResult
	var err error
	if b.Email != "" {
		res, err = s.cfg.Service.CheckEmail(c, app, b.Email, b.Code)
	} else {
		res, err = s.cfg.Service.CheckPhone(c, app, b.Phone, b.Code)
	}
	s.answerCheck(ctx, res, err)
}

// channelOf is v's channel, or "" when there is no v.
func channelOf(v *verifier.Verification) verifier.Channel {
	if v == nil {
		return ""
	}
	return v.Channel
}

func (s *Server) answerCheck(ctx *fasthttp.RequestCtx, res *verifier.CheckResult, err error) {
	if err == nil && (res == nil || res.Verification == nil) {
		err = fmt.Errorf("httpapi: check returned no verification")
	}
	if err != nil {
		s.metrics.failed(err, "")
		writeError(ctx, s.log, err)
		return
	}
	if res.Valid {
		s.metrics.approved.Inc()
	} else {
		s.metrics.checksFailed.Inc()
	}
	if s.encodeCheck != nil {
		writeJSON(ctx, fasthttp.StatusOK, s.encodeCheck(res.Valid, res.Verification, s.cfg.Service.Now()))
		return
	}
	var buf [512]byte
	writeJSON(ctx, fasthttp.StatusOK, appendCheck(buf[:0], res.Valid, res.Verification, s.cfg.Service.Now()))
}
