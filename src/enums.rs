//! Open enumerations for every value set the server sends.
//!
//! Each enum has the values the docs list plus `Unknown(String)`, which keeps any other value as
//! sent: EnKash's own examples carry values outside its lists (`COMPLETED`, `APPROVED`, `MUMBAI`),
//! and a new value must not break a whole response. `tests/spec_enums.rs` checks that each enum
//! lists exactly the values the spec lists.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[doc = concat!("`", $wire, "`")]
                $variant,
            )+
            /// A value the docs do not list, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// Every value the docs list, in the spec's order.
            pub const KNOWN_VALUES: &'static [&'static str] = &[$($wire),+];

            /// The value as it travels on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Unknown(raw) => raw,
                }
            }

            /// False for a value the docs do not list.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;

            /// Never fails: an unlisted value becomes `Unknown`.
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(match value {
                    $($wire => Self::$variant,)+
                    other => Self::Unknown(other.to_owned()),
                })
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value.parse() {
                    Ok(parsed) => parsed,
                    Err(never) => match never {},
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    Self::Unknown(raw) => write!(f, "{}::Unknown({raw:?})", stringify!($name)),
                    known => write!(f, "{}::{}", stringify!($name), known.as_str()),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::de::from_text(deserializer, "a string", |raw| {
                    Ok::<_, std::convert::Infallible>(Self::from(raw))
                })
            }
        }
    };
}

open_enum! {
    /// Biller circle (`circle` in requests, `circleEnum` in responses).
    Circle {
        Ap = "AP", Asm = "ASM", Bih = "BIH", Che = "CHE", Del = "DEL", Guj = "GUJ", Har = "HAR",
        Hp = "HP", Jk = "JK", Kk = "KK", Ker = "KER", Kol = "KOL", Mah = "MAH", Mp = "MP",
        Mum = "MUM", Ne = "NE", Ori = "ORI", Pun = "PUN", Raj = "RAJ", Tn = "TN", Upe = "UPE",
        Upw = "UPW", Wb = "WB", All = "ALL", Agra = "AGRA", Ahm = "AHM", Bhiwandi = "BHIWANDI",
        Surat = "SURAT", Shil = "SHIL", Mumbra = "MUMBRA", Kalwa = "KALWA",
    }
}

open_enum! {
    /// State of the wallet debit / payment of a bill.
    PaymentStatus {
        Init = "INIT", Process = "PROCESS",
        /// Paid.
        Success = "SUCCESS",
        /// The wallet debit failed.
        Failed = "FAILED",
        Pending = "PENDING", Cancelled = "CANCELLED", Expired = "EXPIRED",
        PartialRefunded = "PARTIAL_REFUNDED",
        /// The bill payment failed and the money went back to the wallet.
        Refunded = "REFUNDED",
        InProcess = "IN_PROCESS", AuthenticationInProcess = "AUTHENTICATION_IN_PROCESS",
        OtpRendered = "OTP_RENDERED", CheckoutRendered = "CHECKOUT_RENDERED",
        MpiProcessed = "MPI_PROCESSED", MpiRendered = "MPI_RENDERED",
        RefundInProgress = "REFUND_IN_PROGRESS", RefundRequested = "REFUND_REQUESTED",
        PendingWithBank = "PENDING_WITH_BANK", Swapped = "SWAPPED", PaidOffline = "PAID_OFFLINE",
        PartialPaid = "PARTIAL_PAID",
    }
}

open_enum! {
    /// State of the bill payment towards BBPS.
    BillpayStatus {
        /// The bill is paid.
        Success = "SUCCESS",
        /// The bill payment failed; `paymentStatus` tells whether the money was refunded.
        Failed = "FAILED",
        /// Payment request initiated.
        Pending = "PENDING",
        /// Waiting for the biller's confirmation.
        InProgress = "IN_PROGRESS",
        OnHold = "ON_HOLD", Reinitiate = "REINITIATE", AgencyFailed = "AGENCY_FAILED",
    }
}

open_enum! {
    /// Maker/checker approval state of a bill (never enumerated in full by the docs).
    ApprovalStatus {
        /// Created, waiting for approval (Confirm Debit).
        MakerApprovalPending = "MAKER_APPROVAL_PENDING",
        /// Approved by a checker.
        CheckerApproved = "CHECKER_APPROVED",
    }
}

open_enum! {
    /// How a bill was paid.
    PaymentMode {
        CreditCard = "CREDIT_CARD", DebitCard = "DEBIT_CARD", NetBanking = "NET_BANKING",
        Upi = "UPI", PrepaidCard = "PREPAID_CARD", InvalidPaymentMode = "INVALID_PAYMENT_MODE",
        SeamlessBanking = "SEAMLESS_BANKING", VirtualAccount = "VIRTUAL_ACCOUNT",
        TallyPayment = "TALLY_PAYMENT", EnkashCoin = "ENKASH_COIN", Cash = "CASH",
        Cheque = "CHEQUE", AccountTransfer = "ACCOUNT_TRANSFER",
    }
}

open_enum! {
    /// State of the bill-copy (PDF) retrieval.
    BillCopyStatus {
        Failed = "FAILED", Pending = "PENDING", Success = "SUCCESS",
    }
}

open_enum! {
    /// Class of an Accounts Receivable error (`errorResponse.errorType`).
    ErrorType {
        /// The client aborted the request.
        ClientRequestAbort = "CLIENT_REQUEST_ABORT",
        /// The request was malformed.
        ClientRequestError = "CLIENT_REQUEST_ERROR",
        /// The caller may not access this resource.
        InvalidAccess = "INVALID_ACCESS",
        /// No such record.
        RecordNotFound = "RECORD_NOT_FOUND",
        /// Internal error.
        SystemError = "SYSTEM_ERROR",
        /// Missing or invalid credentials.
        Unauthorized = "UNAUTHORIZED",
        /// Unclassified error.
        UnknownError = "UNKNOWN_ERROR",
        /// The request was understood but cannot be processed.
        UnprocessableRequest = "UNPROCESSABLE_REQUEST",
        /// A field failed validation.
        ValidationError = "VALIDATION_ERROR",
    }
}

open_enum! {
    /// Where an invoice attachment came from (the docs show only `TALLY_INVOICE`).
    AttachmentSource {
        /// Imported from Tally.
        TallyInvoice = "TALLY_INVOICE",
    }
}

// Vendor Payment

open_enum! {
    /// Document that identifies a business in a Bharat Connect entity check.
    CheckDocName {
        Pan = "PAN",
    }
}

open_enum! {
    /// Whether an invoice payment moved through the Bharat Connect platform.
    PaymentPlatform {
        /// Paid through the platform.
        OnPlatform = "ONPLATFORM",
        /// Paid outside the platform and reported to it.
        OffPlatform = "OFFPLATFORM",
    }
}

open_enum! {
    /// Instrument of a Bharat Connect invoice payment.
    InvoicePaymentMode {
        InternetBanking = "INTERNET BANKING", DebitCard = "DEBIT CARD", CreditCard = "CREDIT CARD",
        Imps = "IMPS", Cash = "CASH", Upi = "UPI", Wallet = "WALLET", Neft = "NEFT",
        PrepaidCard = "PREPAID CARD", AccountTransfer = "ACCOUNT TRANSFER", Cheque = "CHEQUE",
    }
}

open_enum! {
    /// Currency of a Bharat Connect invoice payment.
    PaymentCurrency {
        Inr = "INR",
    }
}

open_enum! {
    /// The supplier's answer to a Bharat Connect payment.
    SupplierPaymentResponse {
        Accept = "ACCEPT",
        /// Allowed only for off-platform payments.
        Reject = "REJECT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_round_trip_as_sent() {
        let status: PaymentStatus = serde_json::from_str(r#""COMPLETED""#).unwrap();
        assert_eq!(status, PaymentStatus::Unknown("COMPLETED".into()));
        assert!(!status.is_known());
        assert_eq!(serde_json::to_string(&status).unwrap(), r#""COMPLETED""#);
        assert_eq!(
            format!("{status:?}"),
            r#"PaymentStatus::Unknown("COMPLETED")"#
        );
    }

    #[test]
    fn known_values_decode_to_their_variant_and_back() {
        for &wire in Circle::KNOWN_VALUES {
            let circle = Circle::from(wire);
            assert!(circle.is_known(), "{wire}");
            assert_eq!(circle.as_str(), wire);
        }
        assert_eq!(Circle::from("MUM"), Circle::Mum);
        assert_eq!(
            format!("{:?}", BillpayStatus::InProgress),
            "BillpayStatus::IN_PROGRESS"
        );
    }
}
