// Package views holds the templ pages and the view models shaped like them.
// View models carry display-ready strings; views never call services.
package views

// Page is what every page's layout needs.
type Page struct {
	Title         string
	Brand         Brand
	User          *User // nil when signed out
	Nav           string
	Flash         *Flash
	Impersonation *Impersonation
	Embed         *Embed // set when the portal runs inside an app's frame
	PlanChanged   string // plan id, when the page follows a change the embedding app should hear of
	TestMode      bool   // the payment provider moves only test money
}

// Brand is the operator's brand as the layout shows it.
type Brand struct {
	Name         string // in the header and every title
	LogoURL      string // "" shows a plain mark
	ThemeURL     string // stylesheet with the accent colours
	SupportEmail string // "" when none is given
	SellerName   string // who sells, in the footer
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
	PriceSuffix string // "/ month", "every 3 months" or "forever"
	Interval    string // Monthly, Annual, Quarterly…; "" for free
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
	Intervals []IntervalOption // the intervals the catalogue sells, shortest first
	Plans     []PlanCard
	FreePlans []PlanCard
}

// IntervalOption is one tab of the interval picker.
type IntervalOption struct {
	Label   string // Weekly, Monthly, Quarterly, Annual, Every 2 weeks
	URL     string
	Current bool
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
	Number      string
	PDFURL      string // the invoice as a PDF
	PayNow      bool   // the failed renewal that can be paid now
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
	Settings []Tab
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

// CataloguePage is the managers' read-only view of the catalogue.
type CataloguePage struct {
	Page
	Products []CatalogueProduct
}

// CatalogueProduct is one product and its plans.
type CatalogueProduct struct {
	Key         string
	Name        string
	Description string
	Rank        string
	Limits      []Limit
	Plans       []CataloguePlan
}

// CataloguePlan is one plan row.
type CataloguePlan struct {
	ID          string
	Price       string
	Interval    string // "Quarterly (every 3 months)"; "—" for the free plan
	Currency    string
	Active      bool
	Default     bool
	Subscribers string
}

// MailView is a mail to a customer: a heading, a few paragraphs, the facts
// in a small table, and one button.
type MailView struct {
	Brand       string
	Accent      string // "#rrggbb": the brand's colour behind the name and the button
	OnAccent    string // the text on it, readable at 4.5:1
	Preheader   string // the line mail apps show after the subject
	Heading     string
	Paragraphs  []string
	Facts       []Line
	ButtonLabel string
	ButtonURL   string
	After       []string // paragraphs after the button
	Footer      string   // why the customer gets this mail
	PrefsURL    string   // where to turn this kind of mail off; "" when it cannot be
}

// ForgotPage asks for the email address to send a reset link to.
type ForgotPage struct {
	Page
	Email string
	Error string
	Sent  bool // the request was taken: the same words whether or not the account exists
}

// ResetPage sets a new password through a reset link.
type ResetPage struct {
	Page
	Action  string // where the form posts: the link itself
	Invalid bool   // the link is used, expired or unknown
	Errors  map[string]string
}

// PasswordPage lets a signed-in user change their password.
type PasswordPage struct {
	Page
	Settings []Tab
	Errors   map[string]string
}

// Tab is one page of a group of pages, such as the settings.
type Tab struct {
	Label   string
	Href    string
	Current bool
}

// DetailsPage is the form for the customer's billing details.
type DetailsPage struct {
	Page
	Values    DetailsForm
	Errors    map[string]string // by field name
	Countries []Option
	Updated   string // when they were last changed; "" if never
}

// DetailsForm holds the billing details as typed.
type DetailsForm struct {
	Name, Company, Line1, Line2, PostalCode, City, Country, TaxID string
}

// Option is one choice of a select.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// EmailPrefsPage lets a customer turn optional mails off.
type EmailPrefsPage struct {
	Page
	Settings            []Tab
	RenewalReminders    bool
	ChangeConfirmations bool
}

// MailPage lists the outbox for managers.
type MailPage struct {
	Page
	Sending bool // SMTP_URL is set
	Rows    []MailRow
}

// MailRow is one mail in the outbox.
type MailRow struct {
	Created     string
	To          string
	CustomerURL string // "" when the mail has no customer
	Kind        string
	Subject     string
	State       string
	StateKind   string // sent, waiting, failed, unknown
	Attempts    int
	LastError   string
}
