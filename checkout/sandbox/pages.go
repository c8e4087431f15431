package sandbox

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/billingportal/portal/billing"
)

// pageData is what the payment page shows.
type pageData struct {
	Title       string
	SessionID   string
	Description string
	Email       string
	Amount      string
	Status      string // open, paid, declined, expired
	ReturnURL   string
}

// PathPrefix is where the sandbox's pages live on the portal's server.
const PathPrefix = "/sandbox/"

// Pages serves the sandbox's hosted payment page: GET /sandbox/checkout/{id}
// and the Pay and Decline buttons' POSTs, which send the browser back to
// the portal (or the app) afterwards, as a hosted checkout would.
func (p *Provider) Pages() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox/checkout/{id}", p.servePage)
	mux.HandleFunc("POST /sandbox/checkout/{id}/pay", p.complete(true))
	mux.HandleFunc("POST /sandbox/checkout/{id}/decline", p.complete(false))
	mux.HandleFunc("POST /sandbox/checkout/{id}/save", p.saveCard)
	return mux
}

func (p *Provider) servePage(w http.ResponseWriter, r *http.Request) {
	s, err := p.Session(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if s.Kind == KindSetup {
		p.renderSetup(w, r, s, "", http.StatusOK)
		return
	}
	page := pageData{Title: "Pay " + s.Amount.String(), SessionID: s.ID, Description: s.Description, Email: s.Email,
		Amount: s.Amount.String(), Status: string(s.Status), ReturnURL: s.ReturnURL}
	if err := checkoutPage(page).Render(r.Context(), w); err != nil {
		p.log.Error("sandbox: render", "err", err)
	}
}

func (p *Provider) complete(pay bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := p.Complete(r.Context(), r.PathValue("id"), pay)
		switch {
		case errors.Is(err, ErrNotPayable):
			http.Redirect(w, r, "/sandbox/checkout/"+s.ID, http.StatusSeeOther)
		case err != nil:
			p.fail(w, err)
		default:
			http.Redirect(w, r, s.ReturnURL, http.StatusSeeOther)
		}
	}
}

// setupData is what the card-setup page shows.
type setupData struct {
	SessionID string
	Email     string
	Status    string
	ReturnURL string
	CancelURL string
	Error     string
	Cards     []cardChoice
}

type cardChoice struct {
	Value string
	Label string
}

func (p *Provider) renderSetup(w http.ResponseWriter, r *http.Request, s Session, problem string, status int) {
	d := setupData{SessionID: s.ID, Email: s.Email, Status: string(s.Status), ReturnURL: s.ReturnURL, CancelURL: s.CancelURL, Error: problem}
	for _, tc := range testCards {
		d.Cards = append(d.Cards, cardChoice{Value: strconv.Itoa(int(tc.Card)), Label: tc.Label})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := setupPage(d).Render(r.Context(), w); err != nil {
		p.log.Error("sandbox: render", "err", err)
	}
}

// saveCard is the setup page's Save button: the chosen test card becomes
// the customer's, and the browser goes back to the portal.
func (p *Provider) saveCard(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	choice, err := strconv.Atoi(r.PostFormValue("card"))
	if err != nil || choice < int(CardWorks) || choice > int(CardNeedsConfirm) {
		s, serr := p.Session(r.Context(), id)
		if serr != nil {
			p.fail(w, serr)
			return
		}
		p.renderSetup(w, r, s, "Choose one of the test cards.", http.StatusBadRequest)
		return
	}
	s, err := p.SaveCard(r.Context(), id, Card(choice))
	switch {
	case errors.Is(err, ErrNotPayable):
		http.Redirect(w, r, "/sandbox/checkout/"+id, http.StatusSeeOther)
	case err != nil:
		p.fail(w, err)
	default:
		http.Redirect(w, r, s.ReturnURL, http.StatusSeeOther)
	}
}

func (p *Provider) fail(w http.ResponseWriter, err error) {
	if errors.Is(err, billing.ErrNotFound) {
		http.Error(w, "There is no such checkout at the sandbox provider.", http.StatusNotFound)
		return
	}
	p.log.Error("sandbox page", slog.Any("err", err))
	http.Error(w, "The sandbox provider could not do that; nothing was charged. Try again.", http.StatusInternalServerError)
}
