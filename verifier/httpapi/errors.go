package httpapi

import (
	"errors"
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
)

// The codes of the errors only the HTTP layer answers; the domain's codes
// are declared in package verifier, and statuses maps both. Like the
// domain's, clients depend on these strings: never rename one.
const (
	// CodeInvalidJSON: the body is not the JSON object the route takes.
	CodeInvalidJSON verifier.Code = "invalid_json"
	// CodeUnauthorized: no API key, or one no app is configured with.
	CodeUnauthorized verifier.Code = "unauthorized"
	// CodeUnsupportedMediaType: a body sent as anything but
	// application/json.
	CodeUnsupportedMediaType verifier.Code = "unsupported_media_type"
	// CodeMethodNotAllowed: the path exists, not with this method.
	CodeMethodNotAllowed verifier.Code = "method_not_allowed"
	// CodePayloadTooLarge: a body over MaxBodySize.
	CodePayloadTooLarge verifier.Code = "payload_too_large"
	// CodeHeadersTooLarge: request headers over fasthttp's buffer.
	CodeHeadersTooLarge verifier.Code = "headers_too_large"
	// CodeRequestTimeout: the request was not received within
	// Config.ReadTimeout.
	CodeRequestTimeout verifier.Code = "request_timeout"
	// CodeHostNotAllowed: a Host that Config.AllowHost refuses.
	CodeHostNotAllowed verifier.Code = "host_not_allowed"
	// CodeServerBusy: a connection over Config.MaxConns.
	CodeServerBusy verifier.Code = "server_busy"
)

var (
	errPayloadTooLarge  = &verifier.Error{Code: CodePayloadTooLarge, Message: "The request body is larger than 16 KiB."}
	errMethodNotAllowed = &verifier.Error{Code: CodeMethodNotAllowed, Message: "This method is not allowed on this path."}
	errHeadersTooLarge  = &verifier.Error{Code: CodeHeadersTooLarge, Message: "The request headers are too large."}
	errRequestTimeout   = &verifier.Error{Code: CodeRequestTimeout, Message: "The request was not received in time."}
	errUnauthorized     = &verifier.Error{Code: CodeUnauthorized, Message: "A valid API key is required, sent as: Authorization: Bearer KEY."}
	errHostNotAllowed   = &verifier.Error{Code: CodeHostNotAllowed, Message: "This server does not answer for this Host."}
	errServerBusy       = &verifier.Error{Code: CodeServerBusy, Message: "The server has too many connections open; try again shortly."}
	errTooManyConns     = &verifier.Error{Code: verifier.CodeRateLimited, Message: "Too many connections are open from your address.", RetryAfter: time.Second}

	errUnsupportedMediaType = &verifier.Error{Code: CodeUnsupportedMediaType, Message: "The request body must be sent as Content-Type: application/json."}
)

// statusOf is the one table from error codes, the domain's and the
// transport's, to HTTP statuses; a code it lacks is answered as internal.
func statusOf(code verifier.Code) int {
	switch code {
	case CodeInvalidJSON, verifier.CodeInvalidRequest, verifier.CodeInvalidPhone, verifier.CodeInvalidEmail,
		verifier.CodeInvalidOrigin, verifier.CodeInvalidCode, verifier.CodeChannelNotSupported:
		return fasthttp.StatusBadRequest
	case CodeUnauthorized:
		return fasthttp.StatusUnauthorized
	case verifier.CodeOriginNotAllowed, verifier.CodeCountryNotAllowed, verifier.CodeNumberTypeNotAllowed:
		return fasthttp.StatusForbidden
	case verifier.CodeNotFound:
		return fasthttp.StatusNotFound
	case CodeMethodNotAllowed:
		return fasthttp.StatusMethodNotAllowed
	case CodeRequestTimeout:
		return fasthttp.StatusRequestTimeout
	case CodeHostNotAllowed:
		return fasthttp.StatusMisdirectedRequest
	case verifier.CodeNotPending, verifier.CodeLinkNotConfigured:
		return fasthttp.StatusConflict
	case CodePayloadTooLarge:
		return fasthttp.StatusRequestEntityTooLarge
	case CodeUnsupportedMediaType:
		return fasthttp.StatusUnsupportedMediaType
	case verifier.CodeRateLimited:
		return fasthttp.StatusTooManyRequests
	case CodeHeadersTooLarge:
		return fasthttp.StatusRequestHeaderFieldsTooLarge
	case verifier.CodeDeliveryFailed:
		return fasthttp.StatusBadGateway
	case verifier.CodeStoreUnavailable, verifier.CodeKeyUnavailable, CodeServerBusy:
		return fasthttp.StatusServiceUnavailable
	default: // verifier.CodeInternal and any code not listed
		return fasthttp.StatusInternalServerError
	}
}

type errorDetail struct {
	Code       verifier.Code   `json:"code"`
	Message    string          `json:"message"`
	Status     verifier.Status `json:"status,omitempty"`
	RetryAfter int             `json:"retry_after,omitempty"`
	// ID names the verification a delivery_failed start created: it
	// exists, pending, and may be resent.
	ID string `json:"id,omitempty"`
}

// writeError answers err as the API's JSON error. An error that is not a
// *verifier.Error, or is internal, is logged with its cause and reaches the
// client as a bare "internal"; store and delivery failures are logged too.
func writeError(ctx *fasthttp.RequestCtx, log *slog.Logger, err error) {
	var e *verifier.Error
	if !errors.As(err, &e) {
		e = &verifier.Error{Code: verifier.CodeInternal, Err: err}
	}
	status := statusOf(e.Code)
	d := errorDetail{Code: e.Code, Message: e.Message}
	switch {
	case status == fasthttp.StatusInternalServerError:
		log.Error("internal error", "route", routeOf(ctx), "err", err)
		d = errorDetail{Code: verifier.CodeInternal, Message: "Internal error."}
	case e.Code == verifier.CodeKeyUnavailable:
		// The service logged it, once, at error level: a deployment error.
	case status >= 500:
		log.Warn("request failed", "route", routeOf(ctx), "code", string(e.Code), "err", err)
	}
	if d.Message == "" {
		d.Message = "The request failed."
	}
	if e.Code == verifier.CodeNotPending {
		d.Status = e.Status
	}
	if e.Code == verifier.CodeDeliveryFailed {
		d.ID = e.ID
	}
	if e.Code == verifier.CodeRateLimited {
		d.RetryAfter = int(math.Ceil(e.RetryAfter.Seconds()))
		if d.RetryAfter < 1 {
			d.RetryAfter = 1
		}
		ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, strconv.Itoa(d.RetryAfter))
	}
	var buf [256]byte
	writeJSON(ctx, status, appendError(buf[:0], d))
}

// writeJSON answers the JSON body with status.
func writeJSON(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-store")
	ctx.SetBody(body)
}
