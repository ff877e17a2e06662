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

// Codes of errors that only HTTP has; the domain's are in package verifier.
const (
	codePayloadTooLarge  verifier.Code = "payload_too_large"
	codeMethodNotAllowed verifier.Code = "method_not_allowed"
	codeHeadersTooLarge  verifier.Code = "headers_too_large"
	codeRequestTimeout   verifier.Code = "request_timeout"
	codeHostNotAllowed   verifier.Code = "host_not_allowed"
	codeServerBusy       verifier.Code = "server_busy"

	// A request body sent as anything but application/json.
	codeUnsupportedMediaType verifier.Code = "unsupported_media_type"
)

var (
	errPayloadTooLarge  = &verifier.Error{Code: codePayloadTooLarge, Message: "The request body is larger than 16 KiB."}
	errMethodNotAllowed = &verifier.Error{Code: codeMethodNotAllowed, Message: "This method is not allowed on this path."}
	errHeadersTooLarge  = &verifier.Error{Code: codeHeadersTooLarge, Message: "The request headers are too large."}
	errRequestTimeout   = &verifier.Error{Code: codeRequestTimeout, Message: "The request was not received in time."}
	errUnauthorized     = &verifier.Error{Code: verifier.CodeUnauthorized, Message: "A valid API key is required, sent as: Authorization: Bearer KEY."}
	errHostNotAllowed   = &verifier.Error{Code: codeHostNotAllowed, Message: "This server does not answer for this Host."}
	errServerBusy       = &verifier.Error{Code: codeServerBusy, Message: "The server has too many connections open; try again shortly."}
	errTooManyConns     = &verifier.Error{Code: verifier.CodeRateLimited, Message: "Too many connections are open from your address.", RetryAfter: time.Second}

	errUnsupportedMediaType = &verifier.Error{Code: codeUnsupportedMediaType, Message: "The request body must be sent as Content-Type: application/json."}
)

// Status is the one table from error codes to HTTP statuses; other
// front ends (the net/http comparison in build/bench) use it too.
func Status(c verifier.Code) int {
	switch c {
	case verifier.CodeInvalidJSON, verifier.CodeInvalidRequest, verifier.CodeInvalidPhone,
		verifier.CodeInvalidOrigin, verifier.CodeInvalidCode:
		return fasthttp.StatusBadRequest
	case verifier.CodeUnauthorized:
		return fasthttp.StatusUnauthorized
	case verifier.CodeOriginNotAllowed, verifier.CodeCountryNotAllowed, verifier.CodeNumberTypeNotAllowed:
		return fasthttp.StatusForbidden
	case verifier.CodeNotFound:
		return fasthttp.StatusNotFound
	case codeMethodNotAllowed:
		return fasthttp.StatusMethodNotAllowed
	case codeRequestTimeout:
		return fasthttp.StatusRequestTimeout
	case codeHostNotAllowed:
		return fasthttp.StatusMisdirectedRequest
	case verifier.CodeNotPending:
		return fasthttp.StatusConflict
	case codePayloadTooLarge:
		return fasthttp.StatusRequestEntityTooLarge
	case codeUnsupportedMediaType:
		return fasthttp.StatusUnsupportedMediaType
	case verifier.CodeRateLimited:
		return fasthttp.StatusTooManyRequests
	case codeHeadersTooLarge:
		return fasthttp.StatusRequestHeaderFieldsTooLarge
	case verifier.CodeDeliveryFailed:
		return fasthttp.StatusBadGateway
	case verifier.CodeStoreUnavailable, verifier.CodeKeyUnavailable, codeServerBusy:
		return fasthttp.StatusServiceUnavailable
	default:
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
	status := Status(e.Code)
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
