package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// Record is a reset identification request as the sandbox stores it.
type Record struct {
	ID              string
	Description     string
	OrganizationID  string
	Status          string
	InitiatorUserID string
	InitiatorRole   string
}

// UserState is a snapshot of a user's profile, login and identification state.
type UserState struct {
	ID             string
	Name           string
	OrganizationID string
	Role           string
	Login          string
	Password       string

	// IdentificationStatus is StatusApproved until a reset sets it to StatusPending.
	IdentificationStatus string

	// ResetCount counts approved reset requests and calls of the reset endpoint.
	ResetCount int

	// FieldsToUpdate lists the profile fields named by the last call of the reset endpoint.
	FieldsToUpdate []string
}

type organization struct {
	id, name, kind string
}

type user struct {
	id, name, orgID, role string
	identification        string
	resets                int
	fields                []string
}

// account is a login. Every login belongs to exactly one user.
type account struct {
	login, password string
	userID          string
	permissions     []string

	// otp is the one-time password the login must confirm, or empty when it needs none.
	otp string
	// otpSent is set by a login with the right password and cleared by a confirmation.
	otpSent bool
}

type session struct {
	token     string
	login     string
	expiresAt time.Time
	revoked   bool // set by DELETE /authorization
	expired   bool // set by ExpireTokens
}

// state is everything the sandbox stores. Sandbox.mu guards all of it.
type state struct {
	organizations map[string]organization
	users         map[string]*user
	accounts      map[string]*account // by login
	sessions      map[string]*session // by token
	records       map[string]*Record  // by id
	recordOrder   []string            // record ids in insertion order
	recordList    []*Record           // the records in insertion order, for listing without lookups
	approvals     map[string]int      // successful approvals by record id
	operations    map[string]int      // requests by operationId
	lastID        [idKinds]int        // the last counter used for each kind of id
}

// Kinds of generated identifiers, one counter each.
const (
	idOrganization = iota
	idUser
	idRecord
	idKinds
)

func newState() state {
	return state{
		organizations: make(map[string]organization),
		users:         make(map[string]*user),
		accounts:      make(map[string]*account),
		sessions:      make(map[string]*session),
		records:       make(map[string]*Record),
		approvals:     make(map[string]int),
		operations:    make(map[string]int),
	}
}

// nextID returns a deterministic UUID-shaped identifier: the first group
// names the kind of object and the last group counts objects of that kind.
// Deterministic ids keep example output stable across runs.
// nextID returns a new id of the kind. It skips ids a caller chose for a
// record or a user with the same shape, so a generated id never collides.
func (st *state) nextID(kind int) string {
	for {
		st.lastID[kind]++
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", kind+1, st.lastID[kind])
		_, record := st.records[id]
		_, user := st.users[id]
		if !record && !user {
			return id
		}
	}
}

func (st *state) addOrganization(name, kind string) organization {
	org := organization{id: st.nextID(idOrganization), name: name, kind: kind}
	st.organizations[org.id] = org
	return org
}

func (st *state) userState(u *user) UserState {
	out := UserState{
		ID:                   u.id,
		Name:                 u.name,
		OrganizationID:       u.orgID,
		Role:                 u.role,
		IdentificationStatus: u.identification,
		ResetCount:           u.resets,
		FieldsToUpdate:       slices.Clone(u.fields),
	}
	for _, a := range st.accounts {
		if a.userID == u.id {
			out.Login, out.Password = a.login, a.password
			break
		}
	}
	return out
}

// addRecord stores a reset request of userID. Empty fields of r get
// defaults: a generated id, the user's organization and StatusPending.
func (st *state) addRecord(userID string, r Record) (Record, error) {
	u, ok := st.users[userID]
	if !ok {
		return Record{}, fmt.Errorf("add reset request: user %q not found", userID)
	}
	if r.ID == "" {
		r.ID = st.nextID(idRecord)
	}
	if _, dup := st.records[r.ID]; dup {
		return Record{}, fmt.Errorf("add reset request: id %q is already in use", r.ID)
	}
	if r.OrganizationID == "" {
		r.OrganizationID = u.orgID
	}
	if r.Status == "" {
		r.Status = StatusPending
	}
	r.InitiatorUserID, r.InitiatorRole = u.id, u.role
	st.records[r.ID] = &r
	st.recordOrder = append(st.recordOrder, r.ID)
	st.recordList = append(st.recordList, &r)
	return r, nil
}

// resetIdentification sends the user's identification back to pending.
func (u *user) resetIdentification(fields []string) {
	u.identification = StatusPending
	u.resets++
	if fields != nil {
		u.fields = slices.Clone(fields)
	}
}

// AddUser adds an end user in an organization of its own, with a login
// named user<N>@sandbox.local and a random password.
func (s *Sandbox) AddUser(name string) UserState {
	s.mu.Lock()
	defer s.mu.Unlock()

	org := s.st.addOrganization(name, OrganizationTypeIndividual)
	u := &user{
		id:             s.st.nextID(idUser),
		name:           name,
		orgID:          org.id,
		role:           RoleIndividual,
		identification: StatusApproved,
	}
	s.st.users[u.id] = u
	login := fmt.Sprintf("user%d@sandbox.local", s.st.lastID[idUser])
	for n := 2; s.st.accounts[login] != nil; n++ {
		// An operator took the login; keep the user's own one distinct.
		login = fmt.Sprintf("user%d-%d@sandbox.local", s.st.lastID[idUser], n)
	}
	s.st.accounts[login] = &account{login: login, password: randomHex(16), userID: u.id}
	return s.st.userState(u)
}

// AddOperator adds a login of a new operator user in the operator
// organization and returns the user's id. When the login exists already,
// AddOperator replaces its password and permissions and keeps its user.
func (s *Sandbox) AddOperator(login, password string, permissions []string) string {
	s.mu.Lock()
	defer s.mu.Unlock()

	if a, ok := s.st.accounts[login]; ok {
		a.password, a.permissions = password, slices.Clone(permissions)
		return a.userID
	}
	u := &user{
		id:             s.st.nextID(idUser),
		name:           login,
		orgID:          s.operatorOrg.id,
		role:           RoleOperator,
		identification: StatusApproved,
	}
	s.st.users[u.id] = u
	s.st.accounts[login] = &account{
		login:       login,
		password:    password,
		userID:      u.id,
		permissions: slices.Clone(permissions),
	}
	return u.id
}

// RequireOTP makes a login respond with OTP_SENT and wait for otp on
// /authorization/confirm. An empty otp turns the one-time password off.
func (s *Sandbox) RequireOTP(login, otp string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	a, ok := s.st.accounts[login]
	if !ok {
		return fmt.Errorf("require one-time password: login %q not found", login)
	}
	a.otp, a.otpSent = otp, false
	return nil
}

// User returns the current state of a user.
func (s *Sandbox) User(id string) (UserState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	u, ok := s.st.users[id]
	if !ok {
		return UserState{}, false
	}
	return s.st.userState(u), true
}

// AddResetRequest stores a reset request whose initiator is userID. Empty
// fields of r get defaults: a generated id, the user's organization and
// StatusPending. It fails for an unknown user or an id already in use.
func (s *Sandbox) AddResetRequest(userID string, r Record) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.addRecord(userID, r)
}

// ResetRequest returns the current state of a reset request.
func (s *Sandbox) ResetRequest(id string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	r, ok := s.st.records[id]
	if !ok {
		return Record{}, false
	}
	return *r, true
}

// ApprovalCount returns how many approvals of the reset request succeeded.
func (s *Sandbox) ApprovalCount(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.approvals[id]
}

// RequestCount returns how many requests reached the operation's handler,
// including those rejected with 401 or 403. Requests whose body could not
// be decoded are not counted. operationID is the operationId of the
// OpenAPI document, such as "approveResetIdentification".
func (s *Sandbox) RequestCount(operationID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.operations[operationIDFromName(operationID)]
}

// IssueToken creates a valid token for a login without a login request.
// The token skips the one-time password of the login.
func (s *Sandbox) IssueToken(login string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if _, ok := s.st.accounts[login]; !ok {
		return "", fmt.Errorf("issue token: login %q not found", login)
	}
	return s.issueSessionLocked(login).token, nil
}

// ExpireTokens makes every token issued so far expired. Tokens issued
// afterwards are valid.
func (s *Sandbox) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.st.sessions {
		sess.expired = true
	}
}

// issueSessionLocked creates a token for login. The caller holds s.mu.
func (s *Sandbox) issueSessionLocked(login string) *session {
	sess := &session{
		token:     randomHex(32),
		login:     login,
		expiresAt: time.Now().Add(s.cfg.TokenTTL).UTC(),
	}
	s.st.sessions[sess.token] = sess
	return sess
}

// randomHex returns n random bytes from crypto/rand, hex encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomUUID returns a random version 4 UUID.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
