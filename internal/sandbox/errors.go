package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Error codes of the envelope. The real API's code strings are not
// documented publicly, so these are readable stand-ins: clients should
// classify errors by HTTP status first and keep the code.
const (
	CodeInvalidRequest     = "INVALID_REQUEST"     // 400: a malformed body or invalid field
	CodeInvalidCredentials = "INVALID_CREDENTIALS" // 401: wrong or unknown login or password
	CodeInvalidOTP         = "INVALID_OTP"         // 401: wrong or unexpected one-time password
	CodeUnauthorized       = "UNAUTHORIZED"        // 401: missing, malformed, unknown or revoked token
	CodeTokenExpired       = "TOKEN_EXPIRED"       // 401: past its TTL, or expired by ExpireTokens
	CodeForbidden          = "FORBIDDEN"           // 403: the caller lacks a permission
	CodeNotFound           = "NOT_FOUND"           // 404: unknown route, user or reset request
	CodeMethodNotAllowed   = "METHOD_NOT_ALLOWED"  // 405: known path, other method
	CodeAlreadyProcessed   = "ALREADY_PROCESSED"   // 409: the reset request is no longer pending
	CodeAlreadyPending     = "ALREADY_PENDING"     // 409: the user has a pending reset request
	CodeInternal           = "INTERNAL_ERROR"      // 500: a bug in the sandbox
)

// apiError is an error response. It implements error so that the strict
// middleware can return it and writeResponseError can write it.
type apiError struct {
	status     int
	code       string
	fields     []FieldError
	parameters []ErrorParameter
}

// newError returns an error response with one field error. An empty
// parameter leaves the field error's parameter out.
func newError(status int, code, parameter, message string) *apiError {
	e := &apiError{status: status, code: code}
	return e.withField(parameter, message)
}

func (e *apiError) withField(parameter, message string) *apiError {
	fe := FieldError{Message: &message}
	if parameter != "" {
		fe.Parameter = &parameter
	}
	e.fields = append(e.fields, fe)
	return e
}

func (e *apiError) withParameter(key, value string) *apiError {
	e.parameters = append(e.parameters, ErrorParameter{Key: &key, Value: &value})
	return e
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%d %s", e.status, e.code)
	for _, f := range e.fields {
		msg += ": " + *f.Message
	}
	return msg
}

// envelope returns the JSON error envelope with a fresh random mdcId.
// errors and parameters are always present, as empty lists when unused.
func (e *apiError) envelope() ErrorResponse {
	code, mdcID := e.code, randomUUID()
	fields := append([]FieldError{}, e.fields...)
	parameters := append([]ErrorParameter{}, e.parameters...)
	return ErrorResponse{Code: &code, Errors: &fields, Parameters: &parameters, MdcID: &mdcID}
}

// errorResponse has the shape of every generated <Operation>defaultJSONResponse,
// so a handler converts it to its own response type.
type errorResponse struct {
	Body       ErrorResponse
	StatusCode int
}

func (e *apiError) response() errorResponse {
	return errorResponse{Body: e.envelope(), StatusCode: e.status}
}

func writeError(w http.ResponseWriter, e *apiError) {
	var buf bytes.Buffer
	// Encoding cannot fail because the envelope contains only strings.
	_ = json.NewEncoder(&buf).Encode(e.envelope())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = buf.WriteTo(w)
}

// writeRequestError writes a 400 error for a request body that could not
// be decoded. For a JSON type error, the field error names the JSON field.
func (s *Sandbox) writeRequestError(w http.ResponseWriter, r *http.Request, err error) {
	parameter := "body"
	if typeErr, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && typeErr.Field != "" {
		parameter = typeErr.Field
	}
	s.log.DebugContext(r.Context(), "sandbox: invalid request body",
		"method", r.Method, "path", r.URL.Path, "error", err)
	writeError(w, newError(http.StatusBadRequest, CodeInvalidRequest, parameter, err.Error()))
}

// writeParameterError writes a 400 error for a path parameter that could
// not be bound.
func (s *Sandbox) writeParameterError(w http.ResponseWriter, r *http.Request, err error) {
	parameter := ""
	if paramErr, ok := errors.AsType[*InvalidParamFormatError](err); ok {
		parameter = paramErr.ParamName
	}
	writeError(w, newError(http.StatusBadRequest, CodeInvalidRequest, parameter, err.Error()))
}

// writeResponseError writes an *apiError returned by the strict middleware,
// and a 500 error for every other error.
func (s *Sandbox) writeResponseError(w http.ResponseWriter, r *http.Request, err error) {
	if apiErr, ok := errors.AsType[*apiError](err); ok {
		writeError(w, apiErr)
		return
	}
	s.log.ErrorContext(r.Context(), "sandbox: handler failed",
		"method", r.Method, "path", r.URL.Path, "error", err)
	writeError(w, newError(http.StatusInternalServerError, CodeInternal, "", err.Error()))
}
