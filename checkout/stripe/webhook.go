package stripe

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	stripego "github.com/stripe/stripe-go/v86"
	"github.com/stripe/stripe-go/v86/webhook"

	"github.com/billingportal/portal/billing"
)

// SignatureHeader is the header Stripe signs its events in.
const SignatureHeader = "Stripe-Signature"

// signatureTolerance is how old a signed event may be: Stripe's default.
const signatureTolerance = webhook.DefaultTolerance

// Event types the portal acts on; every other type is acknowledged and
// changes nothing.
const (
	typeSessionCompleted      = "checkout.session.completed"
	typeSessionAsyncSucceeded = "checkout.session.async_payment_succeeded"
	typeSessionAsyncFailed    = "checkout.session.async_payment_failed"
	typeSessionExpired        = "checkout.session.expired"
	typeIntentSucceeded       = "payment_intent.succeeded"
	typeIntentFailed          = "payment_intent.payment_failed"
	typeChargeRefunded        = "charge.refunded"
	typeCardAttached          = "payment_method.attached"
)

// EventTypes lists the event types to enable on the Stripe webhook endpoint.
var EventTypes = []string{typeSessionCompleted, typeSessionAsyncSucceeded, typeSessionAsyncFailed, typeSessionExpired,
	typeIntentSucceeded, typeIntentFailed, typeChargeRefunded, typeCardAttached}

// ParseWebhook implements billing.Provider: it verifies the signature with
// stripe-go's webhook package and reduces the event's own object to
// billing's events, without asking Stripe again. Objects the portal did not
// make (no portal metadata) give no events.
func (p *Provider) ParseWebhook(header http.Header, body []byte) ([]billing.Event, error) {
	// The fields read here are the same in every API version, so an
	// endpoint on another version than stripe-go's works too.
	ev, err := webhook.ConstructEventWithOptions(body, header.Get(SignatureHeader), p.webhookSecret,
		webhook.ConstructEventOptions{Tolerance: signatureTolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", billing.ErrBadWebhook, err)
	}
	if ev.ID == "" || ev.Data == nil {
		return nil, fmt.Errorf("%w: the event has no id or no data", billing.ErrBadWebhook)
	}
	out, err := reduce(ev)
	if err != nil {
		return nil, fmt.Errorf("%w: stripe event %s (%s): %v", billing.ErrBadWebhook, ev.ID, ev.Type, err)
	}
	return out, nil
}

// reduce turns one verified Stripe event into billing's events.
func reduce(ev stripego.Event) ([]billing.Event, error) {
	switch ev.Type {
	case typeSessionCompleted, typeSessionAsyncSucceeded, typeSessionAsyncFailed, typeSessionExpired:
		var s stripego.CheckoutSession
		if err := json.Unmarshal(ev.Data.Raw, &s); err != nil {
			return nil, err
		}
		return sessionEvent(ev, &s), nil
	case typeIntentSucceeded, typeIntentFailed:
		var pi stripego.PaymentIntent
		if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
			return nil, err
		}
		return intentEvent(ev, &pi), nil
	case typeChargeRefunded:
		var ch stripego.Charge
		if err := json.Unmarshal(ev.Data.Raw, &ch); err != nil {
			return nil, err
		}
		return refundEvent(ev, &ch), nil
	case typeCardAttached:
		var pm stripego.PaymentMethod
		if err := json.Unmarshal(ev.Data.Raw, &pm); err != nil {
			return nil, err
		}
		return cardEvent(ev, &pm), nil
	}
	return nil, nil
}

// sessionEvent reads a payment-mode Checkout Session the portal made.
// Setup-mode sessions give nothing here: their card comes as
// payment_method.attached.
func sessionEvent(ev stripego.Event, s *stripego.CheckoutSession) []billing.Event {
	clientRef := s.ClientReferenceID
	if clientRef == "" {
		clientRef = s.Metadata[metaCheckout]
	}
	if s.Mode != stripego.CheckoutSessionModePayment || (clientRef == "" && s.Metadata[metaCheckout] == "") {
		return nil
	}
	out := billing.Event{ID: ev.ID, CheckoutRef: s.ID, ClientRef: clientRef,
		Amount: billing.Money{Amount: s.AmountTotal, Currency: strings.ToUpper(string(s.Currency))}}
	if s.Customer != nil {
		out.CustomerRef = s.Customer.ID
	}
	switch ev.Type {
	case typeSessionCompleted, typeSessionAsyncSucceeded:
		// Completed but unpaid is a delayed payment method: its
		// async_payment_succeeded (or _failed) follows.
		if s.PaymentStatus != stripego.CheckoutSessionPaymentStatusPaid {
			return nil
		}
		out.Kind = billing.EventCheckoutPaid
		if s.PaymentIntent != nil {
			out.PaymentRef = s.PaymentIntent.ID
		}
	case typeSessionAsyncFailed:
		out.Kind, out.Reason = billing.EventCheckoutFailed, "the delayed payment failed"
	case typeSessionExpired:
		out.Kind = billing.EventCheckoutExpired
	}
	return []billing.Event{out}
}

// intentEvent reads an off-session PaymentIntent the portal made for a
// renewal or retry. PaymentIntents of Checkout Sessions carry no charge
// key: their session's events speak for them.
func intentEvent(ev stripego.Event, pi *stripego.PaymentIntent) []billing.Event {
	key := pi.Metadata[metaCharge]
	if key == "" {
		return nil
	}
	out := billing.Event{ID: ev.ID, ChargeKey: key, PaymentRef: pi.ID, Kind: billing.EventChargeSucceeded,
		Amount: billing.Money{Amount: pi.AmountReceived, Currency: strings.ToUpper(string(pi.Currency))}}
	if pi.Customer != nil {
		out.CustomerRef = pi.Customer.ID
	}
	if ev.Type == typeIntentFailed {
		out.Kind, out.Amount.Amount, out.Reason = billing.EventChargeFailed, 0, chargeResult(pi).Reason
	}
	return []billing.Event{out}
}

// refundEvent reads a refunded charge: the total refunded so far, against
// the PaymentIntent the portal recorded the money under.
func refundEvent(ev stripego.Event, ch *stripego.Charge) []billing.Event {
	if ch.PaymentIntent == nil || ch.PaymentIntent.ID == "" {
		return nil
	}
	return []billing.Event{{ID: ev.ID, Kind: billing.EventRefunded, PaymentRef: ch.PaymentIntent.ID,
		Amount: billing.Money{Amount: ch.AmountRefunded, Currency: strings.ToUpper(string(ch.Currency))}}}
}

// cardEvent reads a card attached to a customer: at a payment-mode
// checkout (saved for renewals) or a setup-mode one (a new card). The
// newest card is the one renewals charge.
func cardEvent(ev stripego.Event, pm *stripego.PaymentMethod) []billing.Event {
	if pm.Card == nil || pm.Customer == nil || pm.Customer.ID == "" {
		return nil
	}
	return []billing.Event{{ID: ev.ID, Kind: billing.EventCardSaved, CustomerRef: pm.Customer.ID,
		PaymentMethod: &billing.PaymentMethod{Ref: pm.ID, Brand: string(pm.Card.Brand), Last4: pm.Card.Last4,
			ExpMonth: int(pm.Card.ExpMonth), ExpYear: int(pm.Card.ExpYear)}}}
}
