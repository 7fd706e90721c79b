//! The report crate's integration tests, in one binary: the documents as other programs
//! read them (LibreOffice Writer laying out the DOCX files).

mod libreoffice;
