//! A file sent as one part of a `multipart/form-data` request (the bulk uploads).
//!
//! The spec names the parts; each becomes a builder method taking an [`Upload`]:
//!
//! ```no_run
//! # async fn run(client: &enkash::Client) -> Result<(), enkash::Error> {
//! let csv = "legalName,email\nAcme Traders,accounts@acme.example\n";
//! let upload = enkash::Upload::bytes("customers.csv", csv).content_type("text/csv");
//! let payload = client
//!     .create_bulk_customer()
//!     .company_id("CEKFOWV7UQ")
//!     .file(upload)
//!     .send()
//!     .await?;
//! # let _ = payload;
//! # Ok(())
//! # }
//! ```
//!
//! A large file is best given as a stream ([`Upload::stream`]): it is read while it is sent and
//! never held in memory whole. Either way an upload is sent once: a body that may have left is
//! never sent again, so an upload whose outcome is unknown ends in
//! [`crate::Error::OutcomeUnknown`] and is settled by looking the records up before uploading again.

use std::fmt;

use bytes::Bytes;

/// Content type of an upload that names none.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// A file to send as one part of a `multipart/form-data` request: its content (bytes or a
/// stream), its file name and its content type.
pub struct Upload {
    content: Content,
    file_name: String,
    content_type: String,
}

/// What an [`Upload`] sends.
enum Content {
    /// Held in memory; sent without another copy.
    Bytes(Bytes),
    /// Read while it is sent, with its length when known (then sent as the part's size).
    Stream(reqwest::Body, Option<u64>),
}

impl Upload {
    /// A file held in memory (`Vec<u8>`, `&'static str`, [`Bytes`], ...), sent without another
    /// copy.
    pub fn bytes(file_name: impl Into<String>, content: impl Into<Bytes>) -> Self {
        Self::new(file_name, Content::Bytes(content.into()))
    }

    /// A file read while it is sent, from a stream of chunks (for a file on disk, e.g.
    /// `tokio_util::io::ReaderStream::new(tokio::fs::File::open(path).await?)`). Its size is not
    /// known in advance, so the request is sent in chunks; [`Upload::length`] gives it.
    pub fn stream<S>(file_name: impl Into<String>, chunks: S) -> Self
    where
        S: futures::TryStream + Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        Bytes: From<S::Ok>,
    {
        Self::new(
            file_name,
            Content::Stream(reqwest::Body::wrap_stream(chunks), None),
        )
    }

    /// A file read while it is sent, from a [`reqwest::Body`].
    pub fn body(file_name: impl Into<String>, body: reqwest::Body) -> Self {
        Self::new(file_name, Content::Stream(body, None))
    }

    fn new(file_name: impl Into<String>, content: Content) -> Self {
        Self {
            content,
            file_name: file_name.into(),
            content_type: DEFAULT_CONTENT_TYPE.to_owned(),
        }
    }

    /// The part's content type (`text/csv`, ...); `application/octet-stream` when not given. A
    /// value that is not a MIME type is refused when the request is built, naming the part.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// The size in bytes of a streamed file, when known: the request then states its length.
    /// Ignored for bytes, whose size is known.
    pub fn length(mut self, bytes: u64) -> Self {
        if let Content::Stream(_, length) = &mut self.content {
            *length = Some(bytes);
        }
        self
    }

    /// The file name sent with the part.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The size in bytes, when known (bytes, or a stream given its [`Upload::length`]).
    pub fn size(&self) -> Option<u64> {
        match &self.content {
            Content::Bytes(bytes) => Some(bytes.len() as u64),
            Content::Stream(_, length) => *length,
        }
    }

    /// The part of the request's form, or why it cannot be one (a message naming the part, for
    /// [`crate::error::ValidationError`]).
    pub(crate) fn into_part(self, name: &str) -> Result<reqwest::multipart::Part, String> {
        let part = match self.content {
            Content::Bytes(bytes) => {
                let length = bytes.len() as u64;
                reqwest::multipart::Part::stream_with_length(reqwest::Body::from(bytes), length)
            }
            Content::Stream(body, Some(length)) => {
                reqwest::multipart::Part::stream_with_length(body, length)
            }
            Content::Stream(body, None) => reqwest::multipart::Part::stream(body),
        };
        part.file_name(self.file_name)
            .mime_str(&self.content_type)
            .map_err(|_| {
                format!(
                    "error converting supplied value for {name}: the content type `{}` is not a \
                     MIME type",
                    self.content_type
                )
            })
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Upload");
        debug
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type);
        match &self.content {
            Content::Bytes(bytes) => debug.field("bytes", &bytes.len()),
            Content::Stream(_, length) => debug.field("stream_length", length),
        };
        debug.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_debug_name_the_file_not_its_content() {
        let upload = Upload::bytes("c.csv", "a,b\n1,2\n").content_type("text/csv");
        assert_eq!(upload.size(), Some(8));
        assert_eq!(upload.file_name(), "c.csv");
        let shown = format!("{upload:?}");
        assert!(shown.contains("c.csv") && shown.contains("text/csv") && !shown.contains("a,b"));
        let streamed = Upload::stream(
            "big.csv",
            futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"x"))]),
        );
        assert_eq!(streamed.size(), None);
        assert_eq!(streamed.length(1).size(), Some(1));
        assert_eq!(Upload::bytes("a", "x").length(9).size(), Some(1));
    }

    #[test]
    fn a_bad_content_type_is_refused_naming_the_part() {
        let message = Upload::bytes("c.csv", "x")
            .content_type("not a type")
            .into_part("file")
            .unwrap_err();
        let invalid = crate::error::ValidationError::from_builder_message("op", &message);
        assert_eq!(invalid.field.as_deref(), Some("file"));
        assert!(invalid.rule.contains("not a type"), "{}", invalid.rule);
        assert!(Upload::bytes("c.csv", "x").into_part("file").is_ok());
    }
}
