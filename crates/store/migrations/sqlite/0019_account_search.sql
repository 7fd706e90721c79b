-- Khóa tìm kiếm tài khoản — the admin's account search without diacritics or case
-- ("nguyen van an" finds "Nguyễn Văn An", "ha dong" finds hadong): the username, the
-- display name and the unit's code folded by thidua_core::text::search_key, each word
-- padded by spaces so a word's start can be matched with LIKE '% word%'. Filled from
-- Rust (SQL cannot fold Vietnamese), for old rows by the store when it opens.
ALTER TABLE app_user ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
