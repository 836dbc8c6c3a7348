using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

public enum SmtpAuthMechanism { None, Plain, Login }

public sealed record SmtpProbeOptions : IValidatableObject
{
    [Display(Name = "HELO name", GroupName = "Advanced")]
    [Required, StringLength(253), Description("The name the client gives in EHLO/HELO.")]
    public string Helo { get; init; } = "netlab-client";

    [Display(Name = "HELO first", GroupName = "Advanced")]
    [Description("Greet with HELO as the handout's skeleton does (HELO Alice) instead of EHLO; then no STARTTLS, AUTH or SIZE.")]
    public bool HeloFirst { get; init; }

    [Required, StringLength(SmtpPath.MaxPath), Description("The sender, for MAIL FROM and the From header.")]
    public string From { get; init; } = "student@netlab.test";

    [Required, StringLength(4000), Description("Recipients separated by commas, one RCPT TO each.")]
    public string To { get; init; } = "instructor@netlab.test";

    [StringLength(998), Description("The Subject header.")]
    public string Subject { get; init; } = "Hello from the Netlab SMTP lab";

    [StringLength(1_000_000), DataType(DataType.MultilineText), Description("The message text.")]
    public string Body { get; init; } = "I love computer networks!";

    [Display(Name = "STARTTLS")]
    [Description("Send STARTTLS after EHLO and continue over TLS (the handout's optional exercise 1).")]
    public bool StartTls { get; init; }

    [Display(Name = "Verify the certificate", GroupName = "Advanced")]
    [Description("Check the server's certificate (off: a lab server's self-signed one is accepted and shown).")]
    public bool VerifyCertificate { get; init; }

    [Display(Name = "AUTH")]
    [Description("Authenticate with AUTH PLAIN or LOGIN (RFC 4954) before MAIL FROM.")]
    public SmtpAuthMechanism Auth { get; init; } = SmtpAuthMechanism.None;

    [StringLength(256), Description("User name for AUTH.")]
    public string Username { get; init; } = "student";

    [StringLength(256), DataType(DataType.Password), Description("Password for AUTH (masked in the transcript).")]
    public string Password { get; init; } = "netlab";

    [Display(Name = "Attachment from the content folder", GroupName = "Advanced")]
    [StringLength(1000), Description("A file in the lab content folder to attach, e.g. images/netlab.png (the handout's optional exercise 2).")]
    public string? Attachment { get; init; }

    [StringLength(14_000_000), DataType(DataType.Upload),
     Description("An uploaded file to attach instead, as a data URL: data:image/png;name=cat.png;base64,....")]
    [Display(Name = "Attachment")]
    public string? AttachmentUpload { get; init; }

    [Display(Name = "Timeout (ms)", GroupName = "Advanced")]
    [Range(100, 120_000), Description("How long to wait for each reply, in ms.")]
    public int TimeoutMs { get; init; } = 10_000;

    [Display(Name = "Whole run limit (ms)", GroupName = "Advanced")]
    [Range(100, 3_600_000), Description("How long the whole dialogue may take, in ms: a server that trickles its replies just within each reply's timeout cannot hold the run for ever.")]
    public int RunTimeoutMs { get; init; } = 120_000;

    public IReadOnlyList<string> Recipients() => To.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!SmtpPath.IsMailbox(From))
            yield return new ValidationResult($"from: '{From}' is not a mail address (local-part@domain).", [nameof(From)]);
        var recipients = Recipients();
        if (recipients.Count == 0)
            yield return new ValidationResult("to: give at least one recipient.", [nameof(To)]);
        foreach (var r in recipients.Where(r => !SmtpPath.IsMailbox(r)))
            yield return new ValidationResult($"to: '{r}' is not a mail address (local-part@domain).", [nameof(To)]);
        if (HeloFirst && (StartTls || Auth != SmtpAuthMechanism.None))
            yield return new ValidationResult("heloFirst: STARTTLS and AUTH are ESMTP extensions, offered only after EHLO; turn them off or greet with EHLO.", [nameof(HeloFirst)]);
        if (Helo.Any(c => c <= ' ' || c >= '\x7f'))
            yield return new ValidationResult("helo: a host name without spaces, in ASCII.", [nameof(Helo)]);
        if (Subject.Any(c => c is '\r' or '\n'))
            yield return new ValidationResult("subject: one line, no line breaks.", [nameof(Subject)]);
        if (Attachment is { Length: > 0 } && AttachmentUpload is { Length: > 0 })
            yield return new ValidationResult("attachment and attachmentUpload: choose one.", [nameof(Attachment)]);
        if (AttachmentUpload is { Length: > 0 } upload && DataUrl.TryParse(upload, out _) is false)
            yield return new ValidationResult("attachmentUpload: not a base64 data URL (data:type;name=file;base64,...).", [nameof(AttachmentUpload)]);
    }
}
