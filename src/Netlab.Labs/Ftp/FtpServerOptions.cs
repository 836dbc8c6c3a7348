using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Netlab.Labs.Ftp;

public sealed record FtpServerOptions : IValidatableObject
{
    [Display(Name = "Root folder")]
    [Required, StringLength(200), Description("The folder the server shows as /, relative to the content root.")]
    public string Root { get; init; } = "ftp";

    [Display(Name = "Allow anonymous")]
    [Description("Let anyone log in as anonymous (or ftp) with any password.")]
    public bool AllowAnonymous { get; init; } = true;

    [DataType(Core.OptionField.AccountsFormat)] // passwords masked wherever the options are stored or shown
    [StringLength(2000), Description("Accounts besides anonymous, as user:password pairs separated by commas, e.g. alice:secret,bob:hunter2.")]
    public string Accounts { get; init; } = "";

    [Display(Name = "Upload folder", GroupName = "Advanced")]
    [StringLength(100), Description("The folder (directly under the root) where clients may upload, delete and make folders; empty for none.")]
    public string UploadFolder { get; init; } = "upload";

    [Display(Name = "Read-only")]
    [Description("Only the upload folder is writable. Turn off to let clients write anywhere under the root.")]
    public bool ReadOnly { get; init; } = true;

    [Display(Name = "Handout 004 mode")]
    [Description("Accept the handout's own client: commands without USER/PASS (as anonymous) and PORT with a bare port number (\"PORT 12346\"), which connects to the control connection's own address.")]
    public bool Handout004Mode { get; init; }

    [Display(Name = "Passive mode (PASV/EPSV)", GroupName = "Advanced")]
    [Description("Answer PASV and EPSV (passive mode). Off: clients must use PORT or EPRT (active mode).")]
    public bool PassiveEnabled { get; init; } = true;

    [Display(Name = "Failed-login delay (ms)", GroupName = "Advanced")]
    [Range(0, 60_000), Description("How long the 530 to a wrong password waits, in ms; it doubles with each further failure in the session (capped at 10 s or this, whichever is more). 0 = no delay.")]
    public int LoginFailDelayMs { get; init; } = 1_000;

    [Display(Name = "Max failed logins", GroupName = "Advanced")]
    [Range(1, 1_000), Description("Failed logins after which the control connection is closed (vsftpd's max_login_fails).")]
    public int MaxLoginFailures { get; init; } = 3;

    [Display(Name = "Max sessions", GroupName = "Advanced")]
    [Range(1, 10_000), Description("Sessions served at once; more are answered 421 and closed.")]
    public int MaxSessions { get; init; } = 100;

    [Display(Name = "Idle timeout (ms)", GroupName = "Advanced")]
    [Range(100, 3_600_000), Description("How long a control connection may stay silent before 421 and close, in ms.")]
    public int IdleTimeoutMs { get; init; } = 300_000;

    [Display(Name = "Data timeout (ms)", GroupName = "Advanced")]
    [Range(100, 600_000), Description("How long a data connection may take to open, or stall without moving a byte, in ms.")]
    public int DataTimeoutMs { get; init; } = 30_000;

    [Display(Name = "Max upload (MB)", GroupName = "Advanced")]
    [Range(0, 1_000_000), Description("The largest file a client may upload, in MB (0 = no uploads).")]
    public int MaxUploadMegabytes { get; init; } = 64;

    [Display(Name = "Quota (MB)", GroupName = "Advanced")]
    [Range(1, 100_000), Description("The most all the server's files together may take, in MB; an upload past it is answered 552 and leaves nothing behind.")]
    public int QuotaMegabytes { get; init; } = 100;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!FtpAccounts.TryParse(Accounts, out _, out var error))
            yield return new ValidationResult(error, [nameof(Accounts)]);
        if (UploadFolder.Length > 0 && (UploadFolder.Contains('/') || UploadFolder.Contains('\\') || UploadFolder is "." or ".."))
            yield return new ValidationResult("uploadFolder must be one folder name, without slashes.", [nameof(UploadFolder)]);
    }
}

/// <summary>The configured accounts, parsed from "user:password,user2:password2".</summary>
public static class FtpAccounts
{
    public static bool TryParse(string text, out IReadOnlyDictionary<string, string> accounts, out string error)
    {
        var parsed = new Dictionary<string, string>(StringComparer.Ordinal);
        accounts = parsed;
        error = "";
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = pair.IndexOf(':');
            if (colon <= 0 || pair.Any(char.IsControl) || pair[..colon].Contains(' '))
            {
                error = $"accounts: \"{pair}\" is not user:password.";
                return false;
            }
            var user = pair[..colon];
            if (user is "anonymous" or "ftp")
            {
                error = $"accounts: \"{user}\" is the anonymous login; use allowAnonymous instead.";
                return false;
            }
            if (!parsed.TryAdd(user, pair[(colon + 1)..]))
            {
                error = $"accounts: \"{user}\" is there twice.";
                return false;
            }
        }
        return true;
    }
}
