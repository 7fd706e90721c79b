//! The command line, as clap types: one place says what every command accepts.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// thidua — phần mềm thi đua – khen thưởng của Mặt trận Tổ quốc Việt Nam.
#[derive(Debug, Parser)]
#[command(name = "thidua", version, about)]
pub struct Args {
    /// Cơ sở dữ liệu: sqlite://tệp.db (mặc định, tạo mới khi chưa có) hoặc postgres://…
    #[arg(
        long,
        global = true,
        env = "THIDUA_DB",
        default_value = "sqlite://thidua.db",
        hide_env_values = true
    )]
    pub db: String,

    /// Tệp khóa bí mật của bản cài đặt (niêm phong phiếu bầu, chuỗi nhật ký), giữ ngoài cơ
    /// sở dữ liệu; mặc định cạnh tệp SQLite (thidua.db.key) hoặc thidua.key cho PostgreSQL.
    #[arg(long, global = true, env = "THIDUA_KEY_FILE")]
    pub key_file: Option<std::path::PathBuf>,

    /// Lệnh cần chạy.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Nhập danh mục hoặc số liệu từ tệp CSV (cả tệp hoặc không dòng nào).
    Import {
        /// Loại tệp.
        kind: ImportKind,
        /// Đường dẫn tệp CSV (UTF-8).
        file: PathBuf,
        /// Tài khoản thực hiện (tên đăng nhập), ghi vào nhật ký thay đổi; mặc định «import».
        #[arg(long, value_name = "TÊN_ĐĂNG_NHẬP")]
        by: Option<String>,
        /// Ghi đè số liệu của báo cáo đã duyệt hoặc đã khóa (chỉ tài khoản cấp trên của đơn vị
        /// hoặc quản trị, nêu bằng --by); mỗi giá trị bị ghi đè được ghi vào nhật ký.
        #[arg(long, requires = "by")]
        overwrite_accepted: bool,
        /// Chỉ kiểm tra và đếm, không ghi gì (chỉ với «thidua import dhis2» và
        /// «thidua import cluster-xlsx»).
        #[arg(long)]
        dry_run: bool,
        /// Mã cụm thi đua (chỉ với «thidua import cluster-xlsx»), ví dụ HN-CUM2.
        #[arg(long)]
        cluster: Option<String>,
        /// Kỳ báo cáo (chỉ với «thidua import cluster-xlsx»), ví dụ 2022S1.
        #[arg(long)]
        period: Option<String>,
    },
    /// Xuất số liệu chính thức ra tệp để trao đổi với hệ thống khác.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Mã truy cập API của tài khoản: tạo, xem, thu hồi.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Tổng hợp số liệu của một cụm thi đua (hoặc một đơn vị) trong một kỳ hoặc một khoảng kỳ.
    Rollup {
        /// Mã cụm thi đua, ví dụ HN-CUM2.
        #[arg(long, conflicts_with = "unit", required_unless_present = "unit")]
        cluster: Option<String>,
        /// Mã đơn vị: tổng hợp đơn vị và các đơn vị trực thuộc.
        #[arg(long)]
        unit: Option<String>,
        /// Kỳ báo cáo: 2022, 2022S1, 2022Q3, 202207; hoặc khoảng kỳ cùng loại, tối đa 120 kỳ:
        /// 2025Q1..2025Q3, 2024S2..2026S1, 202501..202507, 2023..2025 (cụm lấy thành phần
        /// của năm cuối khoảng).
        #[arg(long)]
        period: String,
        /// table: bảng cho người đọc; csv: unit,indicator,period,value cho chương trình.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// period: theo tổ chức tại kỳ báo cáo; current: theo tổ chức hiện nay (đơn vị hợp
        /// nhất mang số liệu của các đơn vị trước đó).
        #[arg(long, default_value = "period", value_parser = ["period", "current"])]
        tree: String,
    },
    /// Viết báo cáo sơ kết / tổng kết của cụm từ số liệu và biên bản hội nghị.
    Report {
        /// Mã cụm thi đua.
        #[arg(long)]
        cluster: String,
        /// Kỳ báo cáo.
        #[arg(long)]
        period: String,
        /// Định dạng: txt, docx hoặc pdf.
        #[arg(long, default_value = "txt")]
        format: String,
        /// Tệp kết quả; mặc định in ra màn hình.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Mẫu báo cáo (minijinja) thay cho mẫu mặc định.
        #[arg(long)]
        template: Option<PathBuf>,
    },
    /// Nạp dữ liệu mẫu: Cụm thi đua số 2 Hà Nội, 6 tháng đầu năm 2022, và các tài khoản mẫu.
    Demo,
    /// Bảng tiêu chí thi đua: xem, chép sang năm mới.
    #[command(subcommand)]
    Criteria(CriteriaCommand),
    /// Xếp hạng thi đua của cụm theo điểm đã chấm.
    Ranking {
        /// Mã cụm thi đua.
        #[arg(long)]
        cluster: String,
        /// Năm thi đua.
        #[arg(long)]
        year: i32,
    },
    /// Khen thưởng: lịch sử khen thưởng của đơn vị hoặc cá nhân.
    #[command(subcommand)]
    Awards(AwardsCommand),
    /// Quản lý tài khoản người dùng.
    #[command(subcommand)]
    User(UserCommand),
    /// Kỳ nhập liệu: ngày mở, hạn nộp và số ngày gia hạn trước khi khóa.
    #[command(subcommand)]
    Window(WindowCommand),
    /// Kiểm tra tính toàn vẹn: nhật ký thay đổi, phiếu bầu.
    #[command(subcommand)]
    Verify(VerifyCommand),
    /// Viết bộ số liệu giả lập quy mô toàn quốc (cây đơn vị sau sắp xếp 2025, chỉ tiêu, cụm
    /// thi đua, số liệu 6 tháng) thành các tệp CSV để nhập và đo; cùng --seed, cùng các tệp.
    BenchData(BenchDataArgs),
    /// Chạy máy chủ web.
    Serve {
        /// Địa chỉ lắng nghe.
        #[arg(long, env = "THIDUA_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Nạp dữ liệu mẫu trước khi chạy.
        #[arg(long)]
        demo: bool,
        /// Cookie, HTTPS và proxy.
        #[command(flatten)]
        web: ServeSecurity,
        /// Thư điện tử thông báo.
        #[command(flatten)]
        mail: ServeMail,
    },
}

/// How `thidua serve` marks its cookies and finds each client's address.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ServeSecurity {
    /// Luôn đánh dấu cookie «Secure» (và gửi HSTS), kể cả khi lắng nghe trên 127.0.0.1 —
    /// khi máy chủ nằm sau một proxy HTTPS trên cùng máy. Mặc định: «Secure» trừ khi
    /// lắng nghe trên địa chỉ loopback.
    #[arg(long, env = "THIDUA_SECURE_COOKIES", conflicts_with = "insecure_cookies")]
    pub secure_cookies: bool,
    /// Không đánh dấu cookie «Secure» dù lắng nghe trên mạng: chỉ dùng khi cố ý chạy http
    /// trong mạng nội bộ (mật khẩu và phiên đi qua mạng không mã hóa).
    #[arg(long, env = "THIDUA_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
    /// Lấy địa chỉ của người dùng từ địa chỉ cuối cùng của X-Forwarded-For (do proxy
    /// phía trước ghi thêm) — chỉ bật khi mọi yêu cầu đều đi qua proxy đó.
    #[arg(long, env = "THIDUA_TRUST_PROXY")]
    pub trust_proxy: bool,
}

/// Where `thidua serve` sends notifications by e-mail.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeMail {
    /// Máy chủ gửi thư (SMTP) cho thông báo: «smtp://máy:cổng» (không mã hóa, cho máy
    /// chuyển thư trong mạng nội bộ), «smtps://tên:mật-khẩu@máy» (TLS) hoặc
    /// «smtp://…?tls=required» (STARTTLS). Không có thì thông báo chỉ hiện trong trang.
    #[arg(long, env = "THIDUA_SMTP", hide_env_values = true)]
    pub smtp: Option<String>,
    /// Người gửi thư thông báo.
    #[arg(long, env = "THIDUA_MAIL_FROM", default_value = "Thi đua <noreply@localhost>")]
    pub mail_from: String,
    /// Địa chỉ trang web như người dùng mở (ví dụ https://thidua.example.vn), để thư có
    /// đường dẫn đầy đủ.
    #[arg(long, env = "THIDUA_PUBLIC_URL", default_value = "")]
    pub public_url: String,
}

/// `thidua bench-data`: the size of the synthetic dataset, its seed and where it goes.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchDataArgs {
    /// Số tỉnh, thành phố.
    #[arg(long, default_value_t = 34)]
    pub provinces: usize,
    /// Tổng số xã, phường, đặc khu (chia không đều cho các tỉnh).
    #[arg(long, default_value_t = 3321)]
    pub communes: usize,
    /// Tổng số khu dân cư có Ban Công tác Mặt trận (chia không đều cho các xã).
    #[arg(long, default_value_t = 30000)]
    pub areas: usize,
    /// Số chỉ tiêu, kể cả chỉ tiêu tính theo công thức (ít nhất 3).
    #[arg(long, default_value_t = 100)]
    pub indicators: usize,
    /// Số kỳ 6 tháng; kỳ cuối là 2026S1.
    #[arg(long, default_value_t = 4)]
    pub periods: usize,
    /// Hạt giống của bộ sinh số ngẫu nhiên.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Thư mục ghi units.csv, indicators.csv, clusters.csv, values.csv (tạo nếu chưa có).
    #[arg(long)]
    pub out: PathBuf,
}

/// Which CSV format a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKind {
    /// units.csv: code,name,kind,parent[,valid_from,valid_to]
    Units,
    /// clusters.csv: code,name,year,members,host[,chair,deputy]
    Clusters,
    /// indicators.csv: code,name,measure,value_type,aggregation,formula,group
    Indicators,
    /// rules.csv: rule[,message]
    Rules,
    /// values.csv: unit,indicator,period,value[,comment]
    Values,
    /// changes.csv: date,change,from,to,name,parent — sắp xếp đơn vị (merge, split, move,
    /// rename, close), ví dụ «1/7/2025,merge,A;B,C,Ủy ban MTTQ Việt Nam phường C,HN»
    Changes,
    /// conference.toml: biên bản hội nghị (xem data/demo/conference.toml)
    Conference,
    /// criteria.toml: bảng tiêu chí thi đua của một cấp, một năm (xem data/demo/criteria-2022.toml)
    Criteria,
    /// awards.toml: danh mục hình thức khen thưởng (xem data/demo/awards.toml)
    Awards,
    /// Tệp dataValueSets của DHIS2 (JSON hoặc CSV, mã làm định danh): số liệu chính thức,
    /// có thể --dry-run
    Dhis2,
    /// Bảng số liệu cả cụm (.xlsx, mỗi thành viên một trang, tải từ trang cụm hoặc
    /// «thidua export cluster-xlsx»): cần --cluster, --period và --by (tài khoản chạy cụm);
    /// có thể --dry-run
    ClusterXlsx,
}

/// `thidua criteria …`.
#[derive(Debug, Subcommand)]
pub enum CriteriaCommand {
    /// In bảng tiêu chí đang dùng của một cụm trong một năm.
    Show {
        /// Mã cụm thi đua.
        #[arg(long)]
        cluster: String,
        /// Năm thi đua.
        #[arg(long)]
        year: i32,
    },
    /// Chép bảng tiêu chí của năm trước sang năm mới để sửa tiếp.
    Copy {
        /// Cấp cụm (loại đơn vị thành viên, ví dụ district).
        #[arg(long)]
        level: String,
        /// Năm nguồn.
        #[arg(long)]
        from: i32,
        /// Năm đích.
        #[arg(long)]
        to: i32,
    },
}

/// `thidua awards …`.
#[derive(Debug, Subcommand)]
pub enum AwardsCommand {
    /// Lịch sử khen thưởng qua các năm (tìm không cần dấu).
    History {
        /// Mã đơn vị (khen thưởng tập thể).
        #[arg(long)]
        unit: Option<String>,
        /// Họ tên cá nhân, có dấu hoặc không dấu.
        #[arg(long)]
        person: Option<String>,
    },
}

/// Output format of `rollup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, Vietnamese number style.
    Table,
    /// unit,indicator,period,value with plain numbers.
    Csv,
}

/// `thidua user …`: accounts. Passwords are read from standard input (one line), never
/// from the command line, where other users of the machine could see them.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Tạo tài khoản.
    Add {
        /// Tên đăng nhập (chữ thường không dấu, chữ số, '.', '-', '_').
        username: String,
        /// Họ tên hiển thị.
        #[arg(long)]
        name: String,
        /// Vai trò: officer (cán bộ thi đua), chair (cụm trưởng), upper (cấp trên), admin.
        #[arg(long)]
        role: String,
        /// Mã đơn vị của tài khoản (mọi vai trò trừ admin).
        #[arg(long)]
        unit: Option<String>,
        /// Địa chỉ thư điện tử nhận thông báo (khi máy chủ có --smtp).
        #[arg(long)]
        email: Option<String>,
    },
    /// Đặt địa chỉ thư điện tử nhận thông báo; bỏ trống địa chỉ để xóa.
    Email {
        /// Tên đăng nhập.
        username: String,
        /// Địa chỉ (ten@donvi.vn); không ghi: xóa địa chỉ đang có.
        address: Option<String>,
    },
    /// Đặt lại mật khẩu (mọi phiên đăng nhập của tài khoản kết thúc).
    Passwd {
        /// Tên đăng nhập.
        username: String,
    },
    /// Khóa tài khoản.
    Disable {
        /// Tên đăng nhập.
        username: String,
    },
    /// Mở khóa tài khoản.
    Enable {
        /// Tên đăng nhập.
        username: String,
    },
    /// Liệt kê tài khoản.
    List,
}

/// `thidua window …`: a period's reporting window.
#[derive(Debug, Subcommand)]
pub enum WindowCommand {
    /// Đặt kỳ nhập liệu cho một kỳ báo cáo.
    Set {
        /// Kỳ báo cáo, ví dụ 2026S2.
        #[arg(long)]
        period: String,
        /// Ngày mở nhập liệu, ví dụ 1/7/2026 hoặc 2026-07-01.
        #[arg(long)]
        opens: String,
        /// Hạn nộp.
        #[arg(long)]
        deadline: String,
        /// Số ngày sau hạn nộp vẫn cho nhập (nộp muộn) trước khi khóa.
        #[arg(long, default_value_t = 10)]
        lock_days: u32,
    },
    /// Xem kỳ nhập liệu của một kỳ báo cáo.
    Show {
        /// Kỳ báo cáo.
        #[arg(long)]
        period: String,
    },
}

/// `thidua verify …`: checks that what the database keeps was not altered behind
/// thidua's back; each exits non-zero when it was.
#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Kiểm tra nhật ký thay đổi: sửa, xóa, cắt cụt hay xóa sạch đều bị phát hiện.
    Audit,
    /// Kiểm tra niêm phong của một cuộc bỏ phiếu đã kết thúc: lá phiếu, phiếu bầu hay kết
    /// quả bị sửa, thêm, xóa sau khi kết thúc đều bị phát hiện.
    Ballot {
        /// Số cuộc bỏ phiếu (trong địa chỉ /ballots/SỐ).
        id: i64,
    },
}

/// `thidua export …`: the official figures for another system.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Số liệu chính thức của một kỳ (và các kỳ ngắn hơn trong kỳ đó) dưới dạng
    /// dataValueSets của DHIS2, mã chỉ tiêu và mã đơn vị làm định danh; không có bản nháp.
    Dhis2 {
        /// Kỳ báo cáo: 2022, 2022S1, 2022Q3, 202207.
        #[arg(long)]
        period: String,
        /// Mã đơn vị: số liệu của chính đơn vị (thêm --children: cả các đơn vị trực thuộc).
        #[arg(long, conflicts_with = "cluster", required_unless_present = "cluster")]
        unit: Option<String>,
        /// Cùng các đơn vị trực thuộc --unit (children=true của DHIS2).
        #[arg(long, requires = "unit")]
        children: bool,
        /// Mã cụm thi đua (theo thành phần cụm của năm của kỳ).
        #[arg(long)]
        cluster: Option<String>,
        /// json (mặc định) hoặc csv.
        #[arg(long, default_value = "json", value_parser = ["json", "csv"])]
        format: String,
        /// Tệp kết quả; «-» hoặc bỏ trống: in ra màn hình.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Bảng số liệu cả cụm của một kỳ (.xlsx): trang «Hướng dẫn», rồi mỗi thành viên một
    /// trang với số liệu chính thức; điền rồi nhập lại bằng «thidua import cluster-xlsx».
    ClusterXlsx {
        /// Mã cụm thi đua (theo thành phần cụm của năm của kỳ).
        #[arg(long)]
        cluster: String,
        /// Kỳ báo cáo, ví dụ 2022S1.
        #[arg(long)]
        period: String,
        /// Tệp .xlsx ghi ra.
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
}

/// `thidua token …`: personal API tokens. A token is shown once, when made; only its hash
/// is kept.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Tạo mã truy cập API cho một tài khoản; mã chỉ hiện một lần.
    Create {
        /// Tên đăng nhập của tài khoản dùng mã.
        #[arg(long, value_name = "TÊN_ĐĂNG_NHẬP")]
        user: String,
        /// Tên của mã, để nhận ra mã dùng cho việc gì (ví dụ «Đồng bộ DHIS2 tỉnh»).
        #[arg(long)]
        name: String,
        /// Hạn dùng: số ngày kể từ bây giờ (ví dụ 30), ngày cuối còn dùng (31/12/2026 hoặc
        /// 2026-12-31), hoặc «không» để mã không hết hạn. Mặc định 90 ngày. Hết hạn thì
        /// mã bị từ chối (401, báo mã đã hết hạn).
        #[arg(long, value_name = "NGÀY", default_value = "90")]
        expires: String,
    },
    /// Liệt kê mã truy cập (của một tài khoản, hoặc của mọi tài khoản).
    List {
        /// Tên đăng nhập.
        #[arg(long, value_name = "TÊN_ĐĂNG_NHẬP")]
        user: Option<String>,
    },
    /// Thu hồi một mã truy cập: từ nay mã bị từ chối.
    Revoke {
        /// Số của mã (cột «Số» của «thidua token list») hoặc tên của mã.
        token: String,
        /// Tên đăng nhập của tài khoản có mã.
        #[arg(long, value_name = "TÊN_ĐĂNG_NHẬP")]
        user: String,
    },
}
