using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Netlab.Labs.Smtp;

/// <summary>Where in the dialogue an injected fault answers instead of the normal reply.</summary>
public enum SmtpFaultStage
{
    None,
    /// <summary>The greeting: the server answers the connection with the code and closes.</summary>
    Connect,
    Helo,
    Mail,
    Rcpt,
    /// <summary>The DATA command, instead of 354.</summary>
    Data,
    /// <summary>The end of the message (after the "." line), instead of 250.</summary>
    Message,
}

/// <summary>A fault to inject: at which stage, which code, how often (1 = always).</summary>
public sealed record SmtpFault
{
    public SmtpFaultStage Stage { get; init; }

    [Range(400, 599), Description("The reply code the chosen stage answers, e.g. 451 (try later) or 550 (rejected).")]
    public int Code { get; init; } = 451;

    [Range(0.0, 1.0), Description("How often the fault fires: 1 = always, 0.3 = three times in ten.")]
    public double Probability { get; init; } = 1.0;

    public static SmtpFault None { get; } = new();
}

public sealed record SmtpServerOptions : IValidatableObject
{
    [StringLength(253), RegularExpression(@"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$", ErrorMessage = "hostname must be a host name such as mail.netlab.test."),
     Description("The name the server gives in its greeting and EHLO reply.")]
    [Display(Name = "Host name", GroupName = "Advanced")]
    public string Hostname { get; init; } = "netlab.test";

    [Display(Name = "STARTTLS")]
    [Description("Offer STARTTLS (RFC 3207) with a certificate generated on first start (or certificateFile).")]
    public bool StartTls { get; init; } = true;

    [Display(Name = "Certificate file", GroupName = "Advanced")]
    [Description("A PKCS#12 (.pfx) certificate file in the portal's data directory to use instead of the generated one.")]
    [StringLength(200), RegularExpression(@"^[A-Za-z0-9._-]+$", ErrorMessage = "certificateFile must be a file name in the data directory (letters, digits, '.', '_', '-').")]
    public string? CertificateFile { get; init; }

    [Display(Name = "Certificate password", GroupName = "Advanced")]
    [Description("Password of certificateFile, if it has one.")]
    [DataType(DataType.Password)]
    public string? CertificatePassword { get; init; }

    [Display(Name = "Require TLS")]
    [Description("Refuse MAIL (530) until the client has started TLS.")]
    public bool RequireTls { get; init; }

    [Display(Name = "Accept any login")]
    [Description("Accept any user name and password for AUTH PLAIN and LOGIN (handy in labs); otherwise only the accounts below.")]
    public bool AcceptAnyLogin { get; init; } = true;

    [Display(Name = "Accounts", GroupName = "Advanced")]
    [DataType(Core.OptionField.AccountsFormat)] // passwords masked wherever the options are stored or shown
    [StringLength(4000), Description("Accounts for AUTH as user:password pairs separated by commas, e.g. student:secret,alice:wonderland.")]
    public string Accounts { get; init; } = "student:netlab";

    [Display(Name = "Require AUTH")]
    [Description("Refuse MAIL (530) until the client has authenticated.")]
    public bool RequireAuth { get; init; }

    [Display(Name = "AUTH only over TLS", GroupName = "Advanced")]
    [Description("Offer AUTH only over TLS (538 otherwise), as real submission servers do.")]
    public bool AuthRequiresTls { get; init; }

    [Display(Name = "Max message size (bytes)", GroupName = "Advanced")]
    [Range(1024, 100 * 1024 * 1024), Description("The largest message accepted, in bytes (advertised as SIZE; larger ones get 552).")]
    public int MaxMessageBytes { get; init; } = 10 * 1024 * 1024;

    [Display(Name = "Max recipients", GroupName = "Advanced")]
    [Range(1, 1000), Description("Recipients per message; more get 452 (RFC 5321 section 4.5.3.1.10 asks for at least 100).")]
    public int MaxRecipients { get; init; } = 100;

    [Display(Name = "Max sessions", GroupName = "Advanced")]
    [Range(1, 10_000), Description("Sessions served at once; more are answered 421 and closed.")]
    public int MaxSessions { get; init; } = 200;

    [Display(Name = "Command timeout (ms)", GroupName = "Advanced")]
    [Range(100, 600_000), Description("How long the server waits for each command or line of a message, in ms (then 421).")]
    public int CommandTimeoutMs { get; init; } = 60_000;

    [Display(Name = "Greeting delay (ms)", GroupName = "Advanced")]
    [Range(0, 10_000), Description("Wait this long before the greeting, to catch clients that talk before it (a classic mistake), in ms.")]
    public int GreetingDelayMs { get; init; }

    [Display(Name = "Mailbox size (messages)", GroupName = "Advanced")]
    [Range(1, 10_000), Description("Messages the mailbox holds; when it is full, new mail is refused with 452 until it is emptied.")]
    public int MailboxSize { get; init; } = 500;

    [Display(Name = "Mailbox size (bytes)", GroupName = "Advanced")]
    [Range(1024, 2_000_000_000), Description("Bytes the mailbox holds; past it new mail is refused with 452 (552 for a message larger than the whole mailbox).")]
    public int MailboxBytes { get; init; } = 256 * 1024 * 1024;

    [Display(Name = "Fault at start: stage", AutoGenerateField = false)] // set from the page's fault panel or the API
    [Description("Fault injection: the stage that answers with faultCode instead of its normal reply.")]
    public SmtpFaultStage FaultStage { get; init; }

    [Display(Name = "Fault at start: code", AutoGenerateField = false)] // set from the page's fault panel or the API
    [Range(400, 599), Description("Fault injection: the code the chosen stage answers.")]
    public int FaultCode { get; init; } = 451;

    [Display(Name = "Fault at start: probability", AutoGenerateField = false)] // set from the page's fault panel or the API
    [Range(0.0, 1.0), Description("Fault injection: how often it fires (1 = always).")]
    public double FaultProbability { get; init; } = 1.0;

    public SmtpFault InitialFault() => new() { Stage = FaultStage, Code = FaultCode, Probability = FaultProbability };

    /// <summary>The configured accounts by user name.</summary>
    public IReadOnlyDictionary<string, string> ParseAccounts() => Accounts
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(pair => pair.Split(':', 2))
        .Where(pair => pair.Length == 2)
        .GroupBy(pair => pair[0], StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var pair in Accounts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (pair.IndexOf(':') <= 0)
                yield return new ValidationResult($"accounts: '{pair}' is not user:password.", [nameof(Accounts)]);
        if (!AcceptAnyLogin && ParseAccounts().Count == 0)
            yield return new ValidationResult("accounts: with acceptAnyLogin off, give at least one user:password.", [nameof(Accounts)]);
    }
}
