// Package views holds the templ pages and the view models shaped like them.
// View models carry display-ready strings; views never call services.
package views

// Page is what every page's layout needs.
type Page struct {
	Title         string
	User          *User // nil when signed out
	Nav           string
	Flash         *Flash
	Impersonation *Impersonation
	Embed         *Embed // set when the portal runs inside an app's frame
	PlanChanged   string // plan id, when the page follows a change the embedding app should hear of
	TestMode      bool   // the payment provider moves only test money
}

// Embed describes the app framing the portal.
type Embed struct {
	ParentOrigin string // the only origin messages go to and come from
	ThemeURL     string // stylesheet with the app's accent colour; "" for the default
}

// Impersonation is shown on every page while a manager acts as a customer.
type Impersonation struct {
	Manager     string
	Customer    string
	EndsAt      string
	MinutesLeft int
}

// User is the signed-in person as the header shows them.
type User struct {
	Email   string
	Manager bool
}

// Flash is a one-line message at the top of a page.
type Flash struct {
	Kind    string // success, error, info
	Message string
}

// LoginPage is the sign-in form.
type LoginPage struct {
	Page
	Email string
	Error string
	Next  string
}

// Notice is a banner about the subscription's state.
type Notice struct {
	Kind    string // warning, danger, info
	Title   string
	Body    string
	Actions []Action
}

// Action is a button (a POST form) or a link on a notice.
type Action struct {
	Label   string
	PostURL string // a form posting here, when set
	Href    string // a link, otherwise
	Primary bool
}

// Scheduled is a change waiting for the end of the period.
type Scheduled struct {
	PlanName string
	Price    string
	Date     string
}

// CurrentPlan describes the subscription in force.
type CurrentPlan struct {
	ProductName string
	Description string
	Price       string
	PriceSuffix string // "/ month", "/ year" or ""
	Interval    string // Monthly or Annual; "" for free
	Status      string // pending, active, cancelling, overdue, canceled
	StatusLabel string
	PeriodStart string
	PeriodEnd   string
	RenewLabel  string // "Renews on", "Ends on", "Changes on", "Unpaid since"
	Features    []string
	Limits      []Limit
	Credit      string // account credit, "" when none
	CancelURL   string // "" when there is nothing to cancel
}

// Limit is a named limit of a plan, e.g. Apps: 10.
type Limit struct {
	Name  string
	Value string
}

// PlanCard is one plan in the picker.
type PlanCard struct {
	ID          string
	ProductName string
	Description string
	Price       string
	PriceSuffix string
	Saving      string // e.g. "Save $58 a year"; empty when none
	Features    []string
	IsCurrent   bool
	ChooseURL   string
	ActionLabel string // Upgrade, Downgrade, Switch
	Blocked     string // why the plan cannot be chosen now; "" when it can
	Scheduled   string // when a scheduled change to this plan starts, e.g. "Starts on 1 March 2027"
}

// CardOnFile is the card renewals charge, as the customer recognises it.
type CardOnFile struct {
	Label   string // "Visa ending 4242"; "" when no card is saved
	Expiry  string // "Expires 12/2029"
	Expired bool
	CanEdit bool // the customer may replace it here (not while a manager acts, nor in an app's frame)
}

// SubscriptionPage is the customer's home.
type SubscriptionPage struct {
	Page
	Current   CurrentPlan
	Card      *CardOnFile // nil when there is nothing to show
	Notice    *Notice
	Scheduled *Scheduled
	Interval  string // month or year: which prices the picker shows
	MonthURL  string
	YearURL   string
	Plans     []PlanCard
	FreePlans []PlanCard
}

// ChangePage confirms a plan change before any money moves.
type ChangePage struct {
	Page
	PlanID        string
	Timing        string
	FromName      string
	FromPrice     string
	ToName        string
	ToPrice       string
	ToFeatures    []string
	AmountDue     string
	NeedsPayment  bool
	EffectiveDate string
	RenewalDate   string // empty when the new plan does not renew
	Lines         []Line
	ConfirmLabel  string
	Reason        string         // why the change takes effect when it does
	Timings       []TimingOption // shown when the customer may choose
	Scheduled     bool
	Withdraws     string // set when confirming withdraws a cancellation: what that means
}

// TimingOption is one choice of when a change takes effect.
type TimingOption struct {
	Label    string
	Detail   string
	Href     string
	Selected bool
}

// CancelPage asks why the customer is leaving and confirms when access ends.
type CancelPage struct {
	Page
	PlanName string
	EndsOn   string
	Reasons  []Reason
	Comment  string
	Error    string
	MaxLen   int
}

// Reason is one cancellation reason.
type Reason struct {
	Code     string
	Label    string
	Selected bool
}

// Line is one row of a price calculation.
type Line struct {
	Label  string
	Amount string
}

// ReturnPage tells the customer how checkout ended.
type ReturnPage struct {
	Page
	Outcome string // paid, declined, processing, expired
	Heading string
	Message string
	Amount  string
	Plan    string
	Actions []Action // what the customer can do next, the first the main one
}

// HistoryPage lists invoices and what happened to the subscription.
type HistoryPage struct {
	Page
	Invoices []InvoiceRow
	Credit   CreditView
	Activity []ActivityRow
}

// CreditView is the customer's account credit and its movements.
type CreditView struct {
	Whose   string // "your", or "their" on the manager's pages
	Balance string
	Entries []CreditRow
}

// CreditRow is one movement of account credit.
type CreditRow struct {
	Date   string
	What   string // "Added" or "Used"
	Why    string
	Amount string // signed, e.g. "+$29.00"
	Added  bool
}

// ActivityRow is one change to the subscription, as the customer reads it.
type ActivityRow struct {
	Date   string
	What   string
	Detail string // the plan, date or amount concerned; "" when none
	By     string // "You", "Your account manager", "Automatic"
}

// InvoiceRow is one invoice in the history.
type InvoiceRow struct {
	Date        string
	Description string
	Period      string
	Amount      string
	Status      string
	StatusLabel string
	ByManager   bool
}

// ErrorPage explains what went wrong.
type ErrorPage struct {
	Page
	Status  int
	Heading string
	Message string
	BackURL string
}

// TestClockPage lets managers move billing time forward in the sandbox.
type TestClockPage struct {
	Page
	Now       string
	Available bool
	Duration  string
}

// CustomersPage is the managers' customer search.
type CustomersPage struct {
	Page
	Query     string
	Customers []CustomerRow
	Total     int
	PrevURL   string
	NextURL   string
	Range     string // e.g. "1–20 of 57"
}

// CustomerRow is one customer in the search results.
type CustomerRow struct {
	URL         string
	Name        string
	Email       string
	Plan        string
	Status      string
	StatusLabel string
}

// CustomerPage is one customer as a manager sees them.
type CustomerPage struct {
	Page
	ID        int64
	Name      string
	Email     string
	Disabled  bool
	Notice    *Notice // what the customer is told about payment or cancellation
	Current   CurrentPlan
	Scheduled *Scheduled
	Invoices  []InvoiceRow
	Credit    CreditView
	Audit     []AuditRow
	AuditURL  string
	Reason    string
	Error     string
}

// AuditPage lists the audit log with filters.
type AuditPage struct {
	Page
	Actor   string
	Action  string
	Subject string
	Rows    []AuditRow
	Range   string
	PrevURL string
	NextURL string
}

// AuditRow is one audit entry.
type AuditRow struct {
	At           string
	Actor        string
	Subject      string
	Impersonated bool
	Action       string // the code, for filtering
	ActionLabel  string // the action in words
	Reason       string
	Before       string
	After        string
	RequestID    string
	IP           string
}

// PaymentLinkPage shows a manager the payment link to send to the customer.
type PaymentLinkPage struct {
	Page
	Customer   string
	Plan       string
	Amount     string
	PaymentURL string
	ExpiresAt  string
}

// NotificationsPage lists deliveries to the app's webhook.
type NotificationsPage struct {
	Page
	Enabled bool
	Rows    []NotificationRow
}

// NotificationRow is one queued notification.
type NotificationRow struct {
	ID        string
	Type      string
	Customer  int64
	Email     string
	Created   string
	Attempts  int
	State     string
	LastError string
}

// TokensPage is where a user manages personal API tokens.
type TokensPage struct {
	Page
	NewToken string // shown once, right after creation
	Name     string
	Error    string
	Tokens   []TokenRow
}

// TokenRow is one personal API token.
type TokenRow struct {
	Name      string
	Created   string
	LastUsed  string
	Revoked   string
	RevokeURL string
}

// CheckoutHandoffPage sends an embedded customer to checkout at the top
// level: the app's page navigates when the portal asks, and the link works
// when clicked.
type CheckoutHandoffPage struct {
	Page
	Plan       string
	Amount     string
	PaymentURL string
}

// HealthPage is the managers' check of the books.
type HealthPage struct {
	Page
	CheckedAt  string
	Summary    string
	Violations []ViolationRow
}

// ViolationRow is one broken invariant.
type ViolationRow struct{ Rule, Subject, Detail string }
