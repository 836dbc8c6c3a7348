using Netlab.Labs.Smtp;
using Netlab.Web.Hosting;
using Netlab.Web.Servers;

namespace Netlab.Web.Labs.Smtp;

/// <summary>A message in a mailbox list.</summary>
public sealed record MailSummaryDto(string Id, DateTimeOffset ReceivedAt, string From, IReadOnlyList<string> To, string? Subject,
    long Size, bool Tls, string? User, string Client, string Session, int Attachments);

/// <summary>One MIME entity of a message: where it sits in the tree ("0" is the message, "1.2" the second part of the first).</summary>
public sealed record MimePartDto(string Path, int Depth, string MediaType, string? FileName, string TransferEncoding, long DecodedBytes, bool IsAttachment);

/// <summary>A message opened: envelope, headers, its text and HTML bodies, and the MIME tree.</summary>
public sealed record MailDetailDto(MailSummaryDto Summary, string Helo, IReadOnlyList<KeyValuePair<string, string>> Headers,
    string? Text, string? Html, IReadOnlyList<MimePartDto> Parts);

public static class MailViews
{
    public static MailSummaryDto Summary(StoredMail mail) => new(mail.Id, mail.ReceivedAt, mail.From, mail.To, mail.Message.Header("Subject"),
        mail.Size, mail.Tls, mail.User, mail.Client, mail.Session, mail.Message.Walk().Count(w => w.Entity.IsAttachment));

    public static MailDetailDto Detail(StoredMail mail) => new(Summary(mail), mail.Helo, mail.Message.Headers,
        mail.Message.FirstText("text/plain")?.Text(), mail.Message.FirstText("text/html")?.Text(),
        [.. mail.Message.Walk().Select(w => new MimePartDto(w.Path, w.Depth, w.Entity.MediaType, w.Entity.FileName, w.Entity.TransferEncoding,
            w.Entity.IsMultipart ? 0 : w.Entity.DecodedBody().LongLength, w.Entity.IsAttachment))]);

    /// <summary>The SMTP server behind an id, or a 404/400 that says what is wrong.</summary>
    public static SmtpServer SmtpServer(this ServerManager servers, Guid id) =>
        servers.Instance(id) as SmtpServer ?? throw ProblemException.BadRequest($"Server {id} is a {servers.Get(id).Lab} server; only SMTP servers have a mailbox and fault injection.");

    public static StoredMail Mail(this SmtpServer server, string messageId) =>
        server.Mailbox.Find(messageId) ?? throw ProblemException.NotFound("message", messageId);

    public static MimeEntity Part(this StoredMail mail, string path) =>
        mail.Message.Walk().FirstOrDefault(w => w.Path == path).Entity ?? throw ProblemException.NotFound("part", path);
}
