//! Shorthands for building the biller input parameters of a request.

use std::collections::BTreeMap;

use crate::types::BillParams;

impl BillParams {
    /// Parameters with the consumer / account number (`cn`) only.
    ///
    /// ```
    /// let params = enkash::types::BillParams::consumer_number("CN123456789").with("ad1", "MUMBAI-WEST");
    /// assert_eq!(serde_json::to_string(&params).unwrap(), r#"{"ad1":"MUMBAI-WEST","cn":"CN123456789"}"#);
    /// ```
    pub fn consumer_number(cn: impl Into<String>) -> Self {
        BillParams {
            cn: cn.into(),
            ad1: None,
            ad2: None,
            ad3: None,
            extra: BTreeMap::new(),
        }
    }

    /// These parameters with one more: `ad1`, `ad2`, `ad3` or any key the biller defines.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        match key {
            "cn" => self.cn = value,
            "ad1" => self.ad1 = Some(value),
            "ad2" => self.ad2 = Some(value),
            "ad3" => self.ad3 = Some(value),
            other => {
                self.extra.insert(other.to_owned(), value);
            }
        }
        self
    }
}
