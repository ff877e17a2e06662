package httpapi

import (
	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/qr"
)

// qr answers GET /v1/verifications/{id}/qr: the QR code of the
// verification link with its current code, as SVG or, with ?format=png,
// PNG. It holds the code, so it is never cached (no-store), and only the
// app's API key fetches it.
func (s *Server) qr(ctx *fasthttp.RequestCtx, app *verifier.App) {
	id, err := idParam(ctx)
	if err != nil {
		writeError(ctx, s.log, err)
		return
	}
	format := string(ctx.QueryArgs().Peek("format"))
	if format != "" && format != "svg" && format != "png" {
		writeError(ctx, s.log, verifier.Errorf(verifier.CodeInvalidRequest, "format must be svg (the default) or png."))
		return
	}
	c, cancel := s.requestContext()
	defer cancel()
	link, err := s.cfg.Service.Link(c, app, id)
	if err != nil {
		s.metrics.failed(err, "")
		writeError(ctx, s.log, err)
		return
	}
	code, err := qr.Encode(link)
	if err != nil {
		writeError(ctx, s.log, err)
		return
	}
	body, contentType := code.SVG(), "image/svg+xml"
	if format == "png" {
		if body, err = code.PNG(0); err != nil {
			writeError(ctx, s.log, err)
			return
		}
		contentType = "image/png"
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType(contentType)
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-store")
	ctx.Response.Header.Set("X-Content-Type-Options", "nosniff")
	ctx.SetBody(body)
}
