package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Seed lists the users, operator logins and reset requests that ApplySeed
// adds to a Sandbox. DecodeSeed reads it from JSON.
type Seed struct {
	Users         []SeedUser
	Operators     []SeedOperator
	ResetRequests []SeedResetRequest
}

// SeedUser is an end user to add. Empty fields get the defaults of
// AddUser: a generated id, a login named user<N>@sandbox.local and a
// random password.
type SeedUser struct {
	// Ref is a name that reset requests of the same seed use to refer to
	// the user. It is never sent by the API.
	Ref      string `json:"ref"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	Login    string `json:"login"`
	Password string `json:"password"`
}

// SeedOperator is an operator login to add. An empty Permissions list
// makes an operator that gets 403 on the operations that need
// PermissionResetIdentification.
type SeedOperator struct {
	Login       string   `json:"login"`
	Password    string   `json:"password"`
	Permissions []string `json:"permissions"`
}

// SeedResetRequest is a reset request to add. User names the initiator:
// the Ref of a user of the same seed, or else the id of a user of the
// seed or of the sandbox. Empty fields get the defaults of
// AddResetRequest: a generated id, the user's organization and
// StatusPending.
type SeedResetRequest struct {
	User           string `json:"user"`
	ID             string `json:"id"`
	Description    string `json:"description"`
	OrganizationID string `json:"organizationId"`
	Status         string `json:"status"`
}

// SeedResult lists what ApplySeed added, in the order of the seed.
type SeedResult struct {
	Users         []UserState
	Operators     []UserState
	ResetRequests []Record
}

// DecodeSeed reads one JSON object from r:
//
//	{
//	  "users": [{"ref": "alex", "id": "...", "name": "Alex Example",
//	             "login": "alex@sandbox.local", "password": "..."}],
//	  "operators": [{"login": "viewer@sandbox.local", "password": "...",
//	                 "permissions": []}],
//	  "resetRequests": [{"user": "alex", "id": "...", "description": "...",
//	                     "organizationId": "...", "status": "PENDING"}]
//	}
//
// Every list and every field is optional, except a user's name and an
// operator's login, password and permissions. Unknown fields, a value of
// the wrong type, null entries and data after the object are rejected.
// An error names the entry, such as "users[2]: unknown field "nmae"".
// DecodeSeed checks the JSON only; ApplySeed checks the values.
func DecodeSeed(r io.Reader) (Seed, error) {
	var top *struct {
		Users         []json.RawMessage `json:"users"`
		Operators     []json.RawMessage `json:"operators"`
		ResetRequests []json.RawMessage `json:"resetRequests"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&top); err != nil {
		if errors.Is(err, io.EOF) {
			return Seed{}, errors.New("the seed is empty; it must be a JSON object " +
				`such as {"users": [{"name": "Alex Example"}]}`)
		}
		return Seed{}, describeJSONError("the seed", err)
	}
	if top == nil {
		return Seed{}, errors.New("the seed is null; it must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Seed{}, fmt.Errorf("unexpected data after the seed's JSON object at byte %d",
			dec.InputOffset())
	}

	var seed Seed
	var errs []error
	for i, raw := range top.Users {
		var u SeedUser
		if err := decodeEntry(raw, &u); err != nil {
			errs = append(errs, entryError("users", i, err))
			continue
		}
		seed.Users = append(seed.Users, u)
	}
	for i, raw := range top.Operators {
		// Permissions is a pointer here to distinguish a missing list
		// from an empty one.
		var op struct {
			SeedOperator
			Permissions *[]string `json:"permissions"`
		}
		if err := decodeEntry(raw, &op); err != nil {
			errs = append(errs, entryError("operators", i, err))
			continue
		}
		if op.Permissions == nil {
			errs = append(errs, entryError("operators", i, errors.New(
				`permissions is required; use [] for an operator without permissions, or [`+
					strconv.Quote(PermissionResetIdentification)+`]`)))
			continue
		}
		op.SeedOperator.Permissions = *op.Permissions
		seed.Operators = append(seed.Operators, op.SeedOperator)
	}
	for i, raw := range top.ResetRequests {
		var r SeedResetRequest
		if err := decodeEntry(raw, &r); err != nil {
			errs = append(errs, entryError("resetRequests", i, err))
			continue
		}
		seed.ResetRequests = append(seed.ResetRequests, r)
	}
	if len(errs) > 0 {
		return Seed{}, errors.Join(errs...)
	}
	return seed, nil
}

// decodeEntry decodes one entry of a list strictly into the struct that v
// points to.
func decodeEntry(raw json.RawMessage, v any) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return errors.New("the entry is null; it must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError("the entry", err)
	}
	return nil
}

// describeJSONError rewrites an encoding/json error in the seed's terms,
// without Go type names. whole names the decoded value, for an error that
// names no field.
func describeJSONError(whole string, err error) error {
	if typeErr, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := typeErr.Field
		if field == "" {
			field = whole
		}
		return fmt.Errorf("%s must be %s, not %s", field,
			jsonKindOf(typeErr.Type.Kind()), jsonValueName(typeErr.Value))
	}
	if syntaxErr, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Errorf("invalid JSON at byte %d: %s", syntaxErr.Offset,
			strings.TrimPrefix(syntaxErr.Error(), "json: "))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: the input ends in the middle of a value")
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKindOf names the JSON value that a Go value of kind k decodes from.
func jsonKindOf(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "true or false"
	}
	return "a JSON object"
}

// jsonValueName names the JSON value of an UnmarshalTypeError, such as
// "array" or "number 1.5".
func jsonValueName(value string) string {
	switch value {
	case "array", "object":
		return "an " + value
	case "bool":
		return "true or false"
	}
	return "a " + value
}

func entryError(list string, i int, err error) error {
	return fmt.Errorf("%s[%d]: %w", list, i, err)
}

// seedStatus is the form of a status value in a seed: an upper-case word,
// so that a typo such as "pending" is caught while statuses the SDK does
// not know, such as "IN_REVIEW", can still be seeded.
var seedStatus = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// ApplySeed checks every entry of seed against the others and against
// the sandbox, then adds them all. When any entry is invalid it adds
// nothing and returns an error for each invalid entry. Ids and logins
// must not be in use, and a user's Ref must not equal another user's id.
func (s *Sandbox) ApplySeed(seed Seed) (SeedResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	p := s.st.planSeed(seed)
	if err := s.st.checkSeed(seed, p); err != nil {
		return SeedResult{}, err
	}

	var result SeedResult
	for i, su := range seed.Users {
		u := s.st.addSeedUser(su, p.userIDs[i], p.userLogins[i])
		result.Users = append(result.Users, s.st.userState(u))
	}
	s.st.lastID[idUser] = p.lastUser
	for _, op := range seed.Operators {
		u := s.st.addSeedOperator(op, s.operatorOrg.id)
		result.Operators = append(result.Operators, s.st.userState(u))
	}
	for i, sr := range seed.ResetRequests {
		r, err := s.st.addRecord(p.initiators[i], Record{
			ID:             p.requestIDs[i],
			Description:    sr.Description,
			OrganizationID: sr.OrganizationID,
			Status:         sr.Status,
		})
		if err != nil {
			// checkSeed rules this out, so it is a bug in the sandbox.
			return result, entryError("resetRequests", i, err)
		}
		result.ResetRequests = append(result.ResetRequests, r)
	}
	s.st.lastID[idRecord] = p.lastRecord
	return result, nil
}

// seedPlan holds the ids and logins that the entries of a seed get.
type seedPlan struct {
	userIDs    []string // by index of Seed.Users
	userLogins []string // by index of Seed.Users
	lastUser   int      // the user counter after the seeded users
	initiators []string // user id by index of Seed.ResetRequests, empty if not found
	requestIDs []string // by index of Seed.ResetRequests
	lastRecord int      // the record counter after the seeded requests
}

// planSeed chooses the ids and default logins of the seeded users and
// the ids of the seeded reset requests. It first moves each counter past
// the ids and logins that the seed fixes in the form that nextID and
// AddUser generate, so that no generated value, now or later, equals a
// fixed one. A user without a fixed id or login takes the next count for
// both, as AddUser does. The caller holds Sandbox.mu.
func (st *state) planSeed(seed Seed) seedPlan {
	p := seedPlan{
		userIDs:    make([]string, len(seed.Users)),
		userLogins: make([]string, len(seed.Users)),
		lastUser:   st.lastID[idUser],
		initiators: make([]string, len(seed.ResetRequests)),
		requestIDs: make([]string, len(seed.ResetRequests)),
		lastRecord: st.lastID[idRecord],
	}
	for _, u := range seed.Users {
		p.lastUser = max(p.lastUser, generatedCount(idUser, u.ID), generatedLoginCount(u.Login))
	}
	for _, op := range seed.Operators {
		p.lastUser = max(p.lastUser, generatedLoginCount(op.Login))
	}
	for i, u := range seed.Users {
		if u.ID == "" || u.Login == "" {
			p.lastUser++
		}
		p.userIDs[i], p.userLogins[i] = u.ID, u.Login
		if u.ID == "" {
			p.userIDs[i] = generatedID(idUser, p.lastUser)
		}
		if u.Login == "" {
			p.userLogins[i] = fmt.Sprintf("user%d@sandbox.local", p.lastUser)
		}
	}

	users := make(map[string]string, 2*len(seed.Users)) // user id by ref or id
	for i, id := range p.userIDs {
		users[id] = id
		if ref := seed.Users[i].Ref; ref != "" {
			users[ref] = id
		}
	}
	for _, r := range seed.ResetRequests {
		p.lastRecord = max(p.lastRecord, generatedCount(idRecord, r.ID))
	}
	for i, r := range seed.ResetRequests {
		if id, ok := users[r.User]; ok && r.User != "" {
			p.initiators[i] = id
		} else if st.users[r.User] != nil {
			p.initiators[i] = r.User
		}
		p.requestIDs[i] = r.ID
		if r.ID == "" {
			p.lastRecord++
			p.requestIDs[i] = generatedID(idRecord, p.lastRecord)
		}
	}
	return p
}

// checkSeed returns an error for each invalid entry of seed, given the
// plan of its ids and logins. The caller holds Sandbox.mu.
func (st *state) checkSeed(seed Seed, p seedPlan) error {
	var errs []error
	fail := func(list string, i int, format string, args ...any) {
		errs = append(errs, entryError(list, i, fmt.Errorf(format, args...)))
	}

	userIDs := make(map[string]int) // user index by id
	refs := make(map[string]int)    // user index by ref
	logins := make(map[string]string)
	checkLogin := func(list string, i int, login string) {
		if _, taken := st.accounts[login]; taken {
			fail(list, i, "login %q is already in use", login)
		} else if other, dup := logins[login]; dup {
			fail(list, i, "login %q is already used by %s", login, other)
		}
		logins[login] = fmt.Sprintf("%s[%d]", list, i)
	}
	for i, id := range p.userIDs {
		if _, taken := st.users[id]; taken {
			fail("users", i, "id %q is already in use by another user", id)
		} else if j, dup := userIDs[id]; dup {
			fail("users", i, "id %q is already used by users[%d]", id, j)
		}
		userIDs[id] = i
	}
	for i, u := range seed.Users {
		if u.Name == "" {
			fail("users", i, "name is required")
		}
		if u.Ref != "" {
			if j, dup := refs[u.Ref]; dup {
				fail("users", i, "ref %q is already used by users[%d]", u.Ref, j)
			} else if j, clash := userIDs[u.Ref]; clash && j != i {
				fail("users", i, "ref %q is the id of users[%d]; choose another ref", u.Ref, j)
			} else if st.users[u.Ref] != nil {
				fail("users", i, "ref %q is the id of an existing user; choose another ref", u.Ref)
			}
			refs[u.Ref] = i
		}
		checkLogin("users", i, p.userLogins[i])
	}

	for i, op := range seed.Operators {
		if op.Login == "" {
			fail("operators", i, "login is required")
		} else {
			checkLogin("operators", i, op.Login)
		}
		if op.Password == "" {
			fail("operators", i, "password is required")
		}
		for j, perm := range op.Permissions {
			if perm == "" || strings.ContainsFunc(perm, isSpaceOrControl) {
				fail("operators", i, "permissions[%d] %q must be one word, such as %s",
					j, perm, PermissionResetIdentification)
			}
		}
	}

	requestIDs := make(map[string]int) // reset request index by id
	for i, r := range seed.ResetRequests {
		switch {
		case r.User == "":
			fail("resetRequests", i, "user is required: the ref or id of a user")
		case p.initiators[i] == "":
			fail("resetRequests", i, "user %q not found; name the ref or id of a user in "+
				"this seed, or the id of an existing user", r.User)
		}
		id := p.requestIDs[i]
		if _, taken := st.records[id]; taken {
			fail("resetRequests", i, "id %q is already in use by another reset request", id)
		} else if j, dup := requestIDs[id]; dup {
			fail("resetRequests", i, "id %q is already used by resetRequests[%d]", id, j)
		}
		requestIDs[id] = i
		if r.Status != "" && !seedStatus.MatchString(r.Status) {
			fail("resetRequests", i, "invalid status %q; use %s, %s, %s or another "+
				"upper-case word", r.Status, StatusPending, StatusApproved, StatusDeclined)
		}
	}
	return errors.Join(errs...)
}

func isSpaceOrControl(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r)
}

// addSeedUser adds a checked user as AddUser does, with the planned id
// and login. The caller holds Sandbox.mu.
func (st *state) addSeedUser(su SeedUser, id, login string) *user {
	org := st.addOrganization(su.Name, OrganizationTypeIndividual)
	u := &user{
		id:             id,
		name:           su.Name,
		orgID:          org.id,
		role:           RoleIndividual,
		identification: StatusApproved,
	}
	st.users[u.id] = u
	password := su.Password
	if password == "" {
		password = randomHex(16)
	}
	st.accounts[login] = &account{login: login, password: password, userID: u.id}
	return u
}

// addSeedOperator adds a checked operator login as AddOperator does. The
// caller holds Sandbox.mu.
func (st *state) addSeedOperator(op SeedOperator, orgID string) *user {
	u := &user{
		id:             st.nextID(idUser),
		name:           op.Login,
		orgID:          orgID,
		role:           RoleOperator,
		identification: StatusApproved,
	}
	st.users[u.id] = u
	st.accounts[op.Login] = &account{
		login:       op.Login,
		password:    op.Password,
		userID:      u.id,
		permissions: slices.Clone(op.Permissions),
	}
	return u
}

// generatedID returns the id that nextID returns for the count n of kind.
func generatedID(kind, n int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", kind+1, n)
}

// generatedIDForm matches the ids of nextID: the kind plus one, then the count.
var generatedIDForm = regexp.MustCompile(`^([0-9a-f]{8})-0000-4000-8000-([0-9a-f]{12})$`)

// generatedCount returns the count in id when nextID could return id for
// kind, and 0 otherwise.
func generatedCount(kind int, id string) int {
	m := generatedIDForm.FindStringSubmatch(id)
	if m == nil {
		return 0
	}
	k, err := strconv.ParseUint(m[1], 16, 32)
	if err != nil || k != uint64(kind+1) {
		return 0
	}
	n, err := strconv.ParseUint(m[2], 16, 48)
	if err != nil {
		return 0
	}
	return int(n)
}

// generatedLoginForm matches the logins that AddUser generates.
var generatedLoginForm = regexp.MustCompile(`^user([0-9]{1,9})@sandbox\.local$`)

// generatedLoginCount returns N for a login user<N>@sandbox.local, which
// AddUser could generate, and 0 otherwise.
func generatedLoginCount(login string) int {
	m := generatedLoginForm.FindStringSubmatch(login)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
