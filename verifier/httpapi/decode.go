package httpapi

import (
	"bytes"
	"errors"
	"mime"
	"reflect"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
)

// startBody is the JSON of POST /v1/verifications.
type startBody struct {
	Channel        string `json:"channel"`
	Phone          string `json:"phone"`
	Email          string `json:"email"`
	Origin         string `json:"origin"`
	EmbeddedOrigin string `json:"embedded_origin"`
	ClientIP       string `json:"client_ip"`
	Locale         string `json:"locale"`
}

// checkBody is the JSON of the two check routes.
type checkBody struct {
	Phone string `json:"phone"`
	Email string `json:"email"`
	Code  string `json:"code"`
}

// decode reads the request body as one JSON object into v (see
// decodeJSON). A body, even an empty object, must come as
// Content-Type: application/json (else 415); an empty body needs no type
// and counts as {} when emptyOK.
func decode(ctx *fasthttp.RequestCtx, v any, emptyOK bool) error {
	body := ctx.PostBody()
	if len(body) > MaxBodySize {
		return errPayloadTooLarge
	}
	if len(body) > 0 && !isJSONContentType(ctx.Request.Header.ContentType()) {
		return errUnsupportedMediaType
	}
	return decodeJSON(body, v, emptyOK)
}

// isJSONContentType reports whether a Content-Type header names
// application/json (in any case), with no parameter other than a UTF-8
// charset: JSON is UTF-8 (RFC 8259 §8.1).
func isJSONContentType(ct []byte) bool {
	if string(ct) == "application/json" {
		return true
	}
	mt, params, err := mime.ParseMediaType(string(ct))
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// decodeJSON reads body as one JSON object into v, a pointer to a zero
// struct whose fields are all strings. It is strict, so that no two
// readers of a body (webotp, a proxy or firewall, a log) can disagree on
// what it says: keys match the json tags exactly (case-sensitive), and an
// unknown key, a key given twice, invalid UTF-8, a value other than a
// string or null, or anything after the object is invalid_json, with v
// left zero. An empty body counts as {} when emptyOK.
func decodeJSON(body []byte, v any, emptyOK bool) error {
	trimmed := bytes.Trim(body, " \t\r\n") // JSON's white space, no other
	if len(trimmed) == 0 && emptyOK {
		return nil
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return verifier.Errorf(CodeInvalidJSON, "The request body must be a JSON object.")
	}
	if err := json.Unmarshal(trimmed, v, json.RejectUnknownMembers(true)); err != nil {
		reflect.ValueOf(v).Elem().SetZero()
		return jsonError(err)
	}
	return nil
}

// maxQuotedKey bounds how much of a client's key an error message repeats.
const maxQuotedKey = 40

// jsonError turns an unmarshaling error into the invalid_json answer,
// naming the key at fault when there is one.
func jsonError(err error) error {
	var se *json.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		return verifier.Errorf(CodeInvalidJSON, "The key %q appears more than once.", quotedKey(syn.JSONPointer))
	case errors.As(err, &se) && errors.Is(se.Err, json.ErrUnknownName):
		return verifier.Errorf(CodeInvalidJSON, "The key %q is not one this request takes (keys are case-sensitive).", quotedKey(se.JSONPointer))
	case errors.As(err, &se) && se.GoType != nil && se.GoType.Kind() == reflect.String && se.JSONPointer != "":
		return verifier.Errorf(CodeInvalidJSON, "The field %q must be a JSON string.", quotedKey(se.JSONPointer))
	default:
		return verifier.Errorf(CodeInvalidJSON, "The request body is not valid JSON.")
	}
}

// quotedKey is the last key of p, cut to maxQuotedKey bytes of valid
// UTF-8, for a message.
func quotedKey(p jsontext.Pointer) string {
	k := p.LastToken()
	if len(k) > maxQuotedKey {
		k = strings.ToValidUTF8(k[:maxQuotedKey], "") + "…"
	}
	return k
}
