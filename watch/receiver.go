package watch

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/perfgate/perfgate/store"
)

// Auth is the credentials a Receiver requires: pyroscope-go sends
// "Authorization: Basic ..." when its BasicAuthUser and BasicAuthPassword
// are set, "Authorization: Bearer <AuthToken>" when AuthToken is. With
// both fields empty, no credentials are required (and any sent are
// ignored); with one or both set, a push must carry one of them.
type Auth struct {
	// Token is the bearer token accepted.
	Token string
	// User and Password are the basic credentials accepted, when User is
	// set.
	User, Password string
}

// allows reports whether r carries credentials a accepts.
func (a Auth) allows(r *http.Request) bool {
	if a.Token == "" && a.User == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	if scheme, token, ok := strings.Cut(h, " "); ok && a.Token != "" && strings.EqualFold(scheme, "Bearer") {
		return same(strings.TrimSpace(token), a.Token)
	}
	if user, password, ok := r.BasicAuth(); ok && a.User != "" {
		// Both compared, always, so that the time does not tell which
		// was wrong.
		u, p := same(user, a.User), same(password, a.Password)
		return u && p
	}
	return false
}

// same compares secrets in a time that depends on neither.
func same(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// Receiver is the http.Handler of POST /ingest (see the package
// documentation): mount it at "/ingest" of the listener that pyroscope-go
// pushes to.
type Receiver struct {
	// Store keeps the profiles.
	Store *store.Store
	// Limits bound a push and the series; zero fields take DefaultLimits.
	Limits Limits
	// Auth is the credentials required; zero requires none.
	Auth Auth
	// Log, when set, gets a line for each push refused (Warn) or lost to
	// a failure of the store (Error).
	Log *slog.Logger
	// Stored, when set, is called with each profile once it is stored.
	Stored func(store.Profile)
}

// ServeHTTP receives one push.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		rc.refuse(w, r, http.StatusMethodNotAllowed, fmt.Errorf("method %.16s: pushes are POST /ingest", r.Method))
		return
	}
	if !rc.Auth.allows(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="perfgate watch", charset="UTF-8"`)
		if rc.Auth.Token != "" {
			w.Header().Add("WWW-Authenticate", `Bearer realm="perfgate watch"`)
		}
		rc.refuse(w, r, http.StatusUnauthorized, errors.New("missing or wrong credentials"))
		return
	}
	limits := rc.Limits.withDefaults()
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, limits.MaxBodyBytes)
	}
	push, err := ParseIngest(r, limits)
	switch {
	case errors.Is(err, ErrTooLarge):
		rc.refuse(w, r, http.StatusRequestEntityTooLarge, err)
		return
	case err != nil:
		rc.refuse(w, r, http.StatusBadRequest, err)
		return
	}
	push.Received = time.Now()
	err = rc.Store.AddProfile(r.Context(), push.Profile, limits.MaxSeries)
	switch {
	case errors.Is(err, store.ErrTooManySeries):
		rc.refuse(w, r, http.StatusTooManyRequests, err)
		return
	case err != nil:
		rc.refuse(w, r, http.StatusInternalServerError, err)
		return
	}
	if rc.Stored != nil {
		rc.Stored(push.Profile)
	}
	// Committed: only now is the push acknowledged. The empty body and no
	// Content-Type are what a Pyroscope server answers.
	w.WriteHeader(http.StatusOK)
}

// refuse answers r with status and err as a one-line body, and logs it.
func (rc *Receiver) refuse(w http.ResponseWriter, r *http.Request, status int, err error) {
	msg := strings.NewReplacer("\r", " ", "\n", " ").Replace(err.Error())
	if rc.Log != nil {
		level := slog.LevelWarn
		if status >= 500 {
			level = slog.LevelError
		}
		rc.Log.Log(r.Context(), level, "push refused", "status", status, "remote", r.RemoteAddr, "err", msg)
	}
	http.Error(w, msg, status)
}
