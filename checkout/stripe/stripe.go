// Package stripe takes real money through Stripe: hosted Checkout for plan
// changes and card updates, off-session PaymentIntents for renewals and
// retries, and Stripe's signed webhooks reduced to billing's events. Every
// call carries an idempotency key derived from the portal's own id, so a
// retried request never takes money twice.
package stripe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v86"

	"github.com/billingportal/portal/billing"
)

// Name is the provider's name in URLs (/webhooks/stripe) and records.
const Name = "stripe"

// CheckoutTTL is how long the portal keeps a Stripe checkout open. Stripe
// accepts an expires_at 30 minutes to 24 hours after a session is created;
// a few minutes beyond the minimum leave room for the call itself.
const CheckoutTTL = 35 * time.Minute

// The bounds Stripe puts on a Checkout Session's expires_at, from its creation.
const (
	minSessionTTL = 31 * time.Minute
	maxSessionTTL = 23*time.Hour + 55*time.Minute
)

// Metadata keys the portal writes on Stripe objects, so every object names
// the portal record it belongs to.
const (
	metaCheckout  = "portal_checkout"   // a Checkout Session (and its PaymentIntent) for a portal checkout
	metaCharge    = "portal_charge"     // an off-session PaymentIntent for a renewal or retry
	metaCardSetup = "portal_card_setup" // a Checkout Session in setup mode
	metaUser      = "portal_user"       // a Customer
)

// checkoutOrigin is where Stripe's hosted Checkout pages live.
const checkoutOrigin = "https://checkout.stripe.com"

// CheckoutOrigin is the origin of the payment pages the portal redirects
// to, which its pages' form-action must allow: Stripe's own, or, with
// STRIPE_API_BASE (a test double), that server's.
func CheckoutOrigin(apiBase string) string {
	if apiBase == "" {
		return checkoutOrigin
	}
	u, err := url.Parse(apiBase)
	if err != nil {
		return checkoutOrigin
	}
	return u.Scheme + "://" + u.Host
}

// Clock tells time.
type Clock interface{ Now() time.Time }

// Config is what the provider needs; see CheckConfig for the rules.
type Config struct {
	SecretKey     string // STRIPE_SECRET_KEY
	WebhookSecret string // STRIPE_WEBHOOK_SECRET
	APIBase       string // STRIPE_API_BASE; "" is Stripe's own
	Clock         Clock  // billing time (moved by the test clock in test mode)
	Wall          Clock  // real time: Stripe's expires_at is real time
	Logger        *slog.Logger
}

// CheckConfig checks the Stripe settings and names the variable at fault.
func CheckConfig(secretKey, webhookSecret, apiBase string) error {
	switch {
	case secretKey == "":
		return errors.New("STRIPE_SECRET_KEY is required with CHECKOUT_PROVIDER=stripe: a secret key (sk_test_… or sk_live_…) from the Stripe dashboard")
	case !validSecretKey(secretKey):
		return errors.New("STRIPE_SECRET_KEY is not a Stripe secret key: it must start with sk_test_, sk_live_, rk_test_ or rk_live_ (a publishable pk_ key does not work)")
	case webhookSecret == "":
		return errors.New("STRIPE_WEBHOOK_SECRET is required with CHECKOUT_PROVIDER=stripe: the signing secret (whsec_…) of the webhook endpoint, or the one `stripe listen` prints")
	case !strings.HasPrefix(webhookSecret, "whsec_") || len(webhookSecret) < len("whsec_")+8:
		return errors.New("STRIPE_WEBHOOK_SECRET is not a webhook signing secret: it must start with whsec_")
	}
	if apiBase != "" {
		u, err := url.Parse(apiBase)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf("STRIPE_API_BASE %q must be a base URL such as https://api.stripe.com or http://127.0.0.1:12111", apiBase)
		}
	}
	return nil
}

func validSecretKey(k string) bool {
	for _, prefix := range []string{"sk_test_", "sk_live_", "rk_test_", "rk_live_"} {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			return len(rest) >= 8 && !strings.ContainsAny(rest, " \t\r\n")
		}
	}
	return false
}

// Provider implements billing.Provider with Stripe.
type Provider struct {
	client        *stripego.Client
	webhookSecret string
	testMode      bool
	clock         Clock
	wall          Clock
	log           *slog.Logger
}

// New returns a Stripe provider, or an error naming the setting at fault.
func New(cfg Config) (*Provider, error) {
	if err := CheckConfig(cfg.SecretKey, cfg.WebhookSecret, cfg.APIBase); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	bc := &stripego.BackendConfig{
		HTTPClient:        &http.Client{Timeout: 30 * time.Second},
		LeveledLogger:     slogLogger{cfg.Logger},
		MaxNetworkRetries: stripego.Int64(2), // safe: every request carries an idempotency key
	}
	if cfg.APIBase != "" {
		bc.URL = stripego.String(strings.TrimRight(cfg.APIBase, "/"))
	}
	client := stripego.NewClient(cfg.SecretKey, stripego.WithBackends(stripego.NewBackendsWithConfig(bc)))
	return &Provider{client: client, webhookSecret: cfg.WebhookSecret, clock: cfg.Clock, wall: cfg.Wall, log: cfg.Logger,
		testMode: strings.HasPrefix(cfg.SecretKey, "sk_test_") || strings.HasPrefix(cfg.SecretKey, "rk_test_")}, nil
}

// Name implements billing.Provider.
func (p *Provider) Name() string { return Name }

// TestMode implements billing.Provider: a test key moves no real money.
func (p *Provider) TestMode() bool { return p.testMode }

// EnsureCustomer implements billing.Provider: one Stripe Customer per
// portal user, created once (the idempotency key is the user's id) and
// given the user's email again whenever the portal uses it, so the email
// Stripe sends receipts to stays in step.
func (p *Provider) EnsureCustomer(ctx context.Context, cust billing.Customer, known string) (string, error) {
	if known != "" {
		params := &stripego.CustomerUpdateParams{Email: stripego.String(cust.Email)}
		if _, err := p.client.V1Customers.Update(ctx, known, params); err != nil {
			return "", fmt.Errorf("stripe: update customer %s: %w", known, err)
		}
		return known, nil
	}
	params := &stripego.CustomerCreateParams{Email: stripego.String(cust.Email),
		Metadata: map[string]string{metaUser: strconv.FormatInt(cust.ID, 10)}}
	params.SetIdempotencyKey("portal-customer-" + strconv.FormatInt(cust.ID, 10))
	c, err := p.client.V1Customers.Create(ctx, params)
	if err != nil {
		return "", fmt.Errorf("stripe: create customer: %w", err)
	}
	return c.ID, nil
}

// CreateCheckout implements billing.Provider: a Checkout Session in
// payment mode for exactly the amount the customer confirmed, saving the
// card for renewals, expiring when the portal's checkout does.
func (p *Provider) CreateCheckout(ctx context.Context, req billing.CheckoutRequest) (billing.ProviderCheckout, error) {
	meta := map[string]string{metaCheckout: req.SessionID}
	params := &stripego.CheckoutSessionCreateParams{
		Mode:              stripego.String(string(stripego.CheckoutSessionModePayment)),
		Customer:          stripego.String(req.CustomerRef),
		ClientReferenceID: stripego.String(req.SessionID),
		Metadata:          meta,
		LineItems: []*stripego.CheckoutSessionCreateLineItemParams{{
			Quantity: stripego.Int64(1),
			PriceData: &stripego.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:    stripego.String(strings.ToLower(req.Amount.Currency)),
				UnitAmount:  stripego.Int64(req.Amount.Amount),
				ProductData: &stripego.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripego.String(req.Description)},
			},
		}},
		PaymentIntentData: &stripego.CheckoutSessionCreatePaymentIntentDataParams{
			SetupFutureUsage: stripego.String(string(stripego.PaymentIntentSetupFutureUsageOffSession)),
			Description:      stripego.String(req.Description),
			Metadata:         meta,
		},
		ExpiresAt:  stripego.Int64(p.expiresAt(req.ExpiresAt)),
		SuccessURL: stripego.String(req.ReturnURL),
		CancelURL:  stripego.String(req.ReturnURL),
	}
	params.SetIdempotencyKey("portal-checkout-" + req.SessionID)
	s, err := p.client.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return billing.ProviderCheckout{}, fmt.Errorf("stripe: create checkout session: %w", err)
	}
	return billing.ProviderCheckout{Ref: s.ID, PaymentURL: s.URL}, nil
}

// CreateCardSetup implements billing.Provider: a Checkout Session in setup
// mode; the card it saves arrives as payment_method.attached.
func (p *Provider) CreateCardSetup(ctx context.Context, req billing.CardSetupRequest) (string, error) {
	meta := map[string]string{metaCardSetup: req.Key}
	params := &stripego.CheckoutSessionCreateParams{
		Mode:               stripego.String(string(stripego.CheckoutSessionModeSetup)),
		Customer:           stripego.String(req.CustomerRef),
		Currency:           stripego.String(strings.ToLower(req.Currency)),
		PaymentMethodTypes: []*string{stripego.String("card")},
		ClientReferenceID:  stripego.String(req.Key),
		Metadata:           meta,
		SetupIntentData:    &stripego.CheckoutSessionCreateSetupIntentDataParams{Metadata: meta},
		ExpiresAt:          stripego.Int64(p.expiresAt(req.ExpiresAt)),
		SuccessURL:         stripego.String(req.ReturnURL),
		CancelURL:          stripego.String(req.CancelURL),
	}
	params.SetIdempotencyKey("portal-card-setup-" + req.Key)
	s, err := p.client.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return "", fmt.Errorf("stripe: create setup session: %w", err)
	}
	return s.URL, nil
}

// expiresAt turns the portal's expiry (billing time, which the test clock
// may have moved) into Stripe's (real time), within the bounds Stripe
// accepts.
func (p *Provider) expiresAt(at time.Time) int64 {
	ttl := min(max(at.Sub(p.clock.Now()), minSessionTTL), maxSessionTTL)
	return p.wall.Now().Add(ttl).Unix()
}

// ExpireCheckout implements billing.Provider. Stripe refuses to expire a
// session that is no longer open; the session then says whether it was
// paid (billing.ErrCheckoutPaid) or had expired already (done).
func (p *Provider) ExpireCheckout(ctx context.Context, ref string) error {
	_, err := p.client.V1CheckoutSessions.Expire(ctx, ref, nil)
	if err == nil {
		return nil
	}
	var se *stripego.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != http.StatusBadRequest {
		return fmt.Errorf("stripe: expire checkout session %s: %w", ref, err)
	}
	s, rerr := p.client.V1CheckoutSessions.Retrieve(ctx, ref, nil)
	switch {
	case rerr != nil:
		return fmt.Errorf("stripe: expire checkout session %s: %w (and reading it: %v)", ref, err, rerr)
	case s.Status == stripego.CheckoutSessionStatusComplete:
		return billing.ErrCheckoutPaid
	case s.Status == stripego.CheckoutSessionStatusExpired:
		return nil
	}
	return fmt.Errorf("stripe: expire checkout session %s: %w", ref, err)
}

// Charge implements billing.Provider: an off-session PaymentIntent on the
// saved card, confirmed at once, with the charge's key as idempotency key
// and in its metadata (so its webhook names the charge).
func (p *Provider) Charge(ctx context.Context, req billing.ChargeRequest) (billing.ChargeResult, error) {
	if req.PaymentMethodRef == "" {
		return billing.ChargeResult{Outcome: billing.ChargeOutcomeFailed, Reason: "no card is saved for renewals"}, nil
	}
	params := &stripego.PaymentIntentCreateParams{
		Amount:             stripego.Int64(req.Amount.Amount),
		Currency:           stripego.String(strings.ToLower(req.Amount.Currency)),
		Customer:           stripego.String(req.CustomerRef),
		PaymentMethod:      stripego.String(req.PaymentMethodRef),
		PaymentMethodTypes: []*string{stripego.String("card")},
		Confirm:            stripego.Bool(true),
		OffSession:         stripego.Bool(true),
		Description:        stripego.String(req.Description),
		Metadata:           map[string]string{metaCharge: req.Key},
	}
	params.SetIdempotencyKey(req.Key)
	pi, err := p.client.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return chargeError(err)
	}
	return chargeResult(pi), nil
}

// chargeError reads a refused charge: a card error is an answer (declined,
// or the bank wants the cardholder), anything else is an outage and the
// charge is tried again later with the same key.
func chargeError(err error) (billing.ChargeResult, error) {
	var se *stripego.Error
	if !errors.As(err, &se) || se.Type != stripego.ErrorTypeCard {
		return billing.ChargeResult{}, fmt.Errorf("stripe: create payment intent: %w", err)
	}
	res := billing.ChargeResult{Outcome: billing.ChargeOutcomeFailed, Reason: declineReason(se)}
	if se.PaymentIntent != nil {
		res.PaymentRef = se.PaymentIntent.ID
	}
	if se.Code == stripego.ErrorCodeAuthenticationRequired {
		res.Outcome, res.Reason = billing.ChargeOutcomeNeedsAction, "the bank asks the cardholder to confirm (3-D Secure)"
	}
	return res, nil
}

func chargeResult(pi *stripego.PaymentIntent) billing.ChargeResult {
	res := billing.ChargeResult{PaymentRef: pi.ID}
	switch pi.Status {
	case stripego.PaymentIntentStatusSucceeded:
		res.Outcome = billing.ChargeOutcomeSucceeded
	case stripego.PaymentIntentStatusProcessing:
		res.Outcome = billing.ChargeOutcomePending
	case stripego.PaymentIntentStatusRequiresAction:
		res.Outcome, res.Reason = billing.ChargeOutcomeNeedsAction, "the bank asks the cardholder to confirm (3-D Secure)"
	default: // requires_payment_method, canceled, or anything that is not money taken
		res.Outcome, res.Reason = billing.ChargeOutcomeFailed, "the card was declined"
		if pi.LastPaymentError != nil {
			res.Reason = declineReason(pi.LastPaymentError)
		}
	}
	return res
}

func declineReason(se *stripego.Error) string {
	msg := se.Msg
	if msg == "" {
		msg = "the card was declined"
	}
	if se.DeclineCode != "" {
		msg += " (" + string(se.DeclineCode) + ")"
	}
	return msg
}

// slogLogger passes stripe-go's own log lines to the portal's log.
type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Debugf(format string, v ...any) {
	l.log.Debug("stripe: " + fmt.Sprintf(format, v...))
}
func (l slogLogger) Infof(format string, v ...any) {
	l.log.Debug("stripe: " + fmt.Sprintf(format, v...))
}
func (l slogLogger) Warnf(format string, v ...any) {
	l.log.Warn("stripe: " + fmt.Sprintf(format, v...))
}
func (l slogLogger) Errorf(format string, v ...any) {
	l.log.Warn("stripe: " + fmt.Sprintf(format, v...))
}
