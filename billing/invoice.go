package billing

import "context"

// InvoiceForCustomer returns one of the customer's invoices; another
// customer's id is not found, exactly like an id that does not exist.
func (s *Service) InvoiceForCustomer(ctx context.Context, userID, id int64) (Invoice, error) {
	inv, err := s.store.Invoice(ctx, id)
	if err != nil {
		return Invoice{}, err
	}
	if inv.UserID != userID {
		return Invoice{}, ErrNotFound
	}
	return inv, nil
}

// Invoice returns any invoice by id, for the mail worker's attachments.
func (s *Service) Invoice(ctx context.Context, id int64) (Invoice, error) {
	return s.store.Invoice(ctx, id)
}
