using System.Collections.Concurrent;
using Netlab.Labs.Smtp;
using Netlab.Web.Hosting;
using Netlab.Web.Servers;

namespace Netlab.Web.Labs.Smtp;

/// <summary>A message in a mailbox list. ParseError is set when MimeKit could not read the message (its raw bytes are still there).</summary>
public sealed record MailSummaryDto(string Id, DateTimeOffset ReceivedAt, string From, IReadOnlyList<string> To, string? Subject,
    long Size, bool Tls, string? User, string Client, string Session, int Attachments, string? ParseError = null);

/// <summary>One MIME entity of a message: where it sits in the tree ("0" is the message, "1.2" the second part of the first).</summary>
public sealed record MimePartDto(string Path, int Depth, string MediaType, string? FileName, string TransferEncoding, long DecodedBytes, bool IsAttachment);

/// <summary>
/// A message opened: envelope, headers, its text and HTML bodies, and the MIME tree.
/// RemoteContent: the HTML refers to content on other hosts, which the HTML view blocks.
/// </summary>
public sealed record MailDetailDto(MailSummaryDto Summary, string Helo, IReadOnlyList<KeyValuePair<string, string>> Headers,
    string? Text, string? Html, IReadOnlyList<MimePartDto> Parts, bool RemoteContent = false);

public static class MailViews
{
    /// <summary>Longest search text; longer is a 400.</summary>
    public const int MaxQuery = 200;

    private const int CachedSummaries = 10_000;

    /// <summary>
    /// What a list row needs from the parsed message, by message id. Ids are unique for good
    /// (Version 7 GUIDs) and a stored message never changes, so an entry is never stale; the
    /// cache only spares re-parsing every message each time a live mailbox changes.
    /// </summary>
    private static readonly ConcurrentDictionary<string, (string? Subject, int Attachments, string? ParseError)> Parsed = new(StringComparer.Ordinal);

    /// <summary>
    /// The mailbox of server <paramref name="id"/>: the running SMTP server's, or else the one its
    /// storage directory holds (after a stop or a restart of the portal). An id ServerManager does
    /// not know is a 404, another lab's server a 400. The one place that decides where a mailbox is.
    /// </summary>
    public static SmtpMailbox Mailbox(this ServerManager servers, Guid id)
    {
        switch (servers.TryInstance(id))
        {
            case SmtpServer live:
                return live.Mailbox;
            case not null:
                throw NotSmtp(id, servers.Get(id).Lab);
        }
        // Stopped (the route's access check found its record): only an SMTP server leaves a mailbox folder.
        var folder = Netlab.Labs.Smtp.SmtpServer.MailboxDirectory(servers.StorageDirectory(id));
        return Directory.Exists(folder) ? SmtpMailbox.OpenDirectory(folder) : throw ProblemException.NotFound("mailbox of server", id);
    }

    /// <summary>The running SMTP server behind an id (fault injection needs it), or a 404/400 that says what is wrong.</summary>
    public static SmtpServer SmtpServer(this ServerManager servers, Guid id) =>
        servers.Instance(id) as SmtpServer ?? throw NotSmtp(id, servers.Get(id).Lab);

    private static ProblemException NotSmtp(Guid id, string lab) =>
        ProblemException.BadRequest($"Server {id} is a {lab} server; only SMTP servers have a mailbox and fault injection.");

    /// <summary>The messages, newest first; with a query, those whose subject, From, To (header or envelope) or body text contain it, ignoring case.</summary>
    public static List<MailSummaryDto> List(SmtpMailbox mailbox, string? query = null)
    {
        if (query is { Length: > MaxQuery })
            throw ProblemException.BadRequest($"q is at most {MaxQuery} characters.");
        var search = string.IsNullOrWhiteSpace(query) ? null : query.Trim();
        var result = new List<MailSummaryDto>();
        foreach (var mail in mailbox.List().Reverse())
        {
            if (search is not null && !EnvelopeMatches(mail, search))
            {
                if (mailbox.Read(mail.Id) is not { } raw || !ReceivedMail.Parse(raw).Matches(search))
                    continue;
            }
            if (Summary(mailbox, mail) is { } summary)
                result.Add(summary);
        }
        return result;
    }

    private static bool EnvelopeMatches(StoredMail mail, string search) =>
        mail.From.Contains(search, StringComparison.OrdinalIgnoreCase) || mail.To.Any(t => t.Contains(search, StringComparison.OrdinalIgnoreCase));

    /// <summary>A list row; null when the message was deleted meanwhile.</summary>
    public static MailSummaryDto? Summary(SmtpMailbox mailbox, StoredMail mail)
    {
        if (!Parsed.TryGetValue(mail.Id, out var parsed))
        {
            if (mailbox.Read(mail.Id) is not { } raw)
                return null;
            var message = ReceivedMail.Parse(raw);
            parsed = (message.Subject, message.Parts.Count(p => p.IsAttachment), message.ParseError);
            if (Parsed.Count >= CachedSummaries)
                Parsed.Clear();
            Parsed[mail.Id] = parsed;
        }
        return Summary(mail, parsed.Subject, parsed.Attachments, parsed.ParseError);
    }

    private static MailSummaryDto Summary(StoredMail mail, string? subject, int attachments, string? parseError) =>
        new(mail.Id, mail.ReceivedAt, mail.From, mail.To, subject, mail.Size, mail.Tls, mail.User, mail.Client, mail.Session, attachments, parseError);

    public static MailDetailDto Detail(StoredMail mail, ReceivedMail message) => new(
        Summary(mail, message.Subject, message.Parts.Count(p => p.IsAttachment), message.ParseError), mail.Helo, message.Headers,
        message.Text, message.Html,
        [.. message.Parts.Select(p => new MimePartDto(p.Path, p.Depth, p.MediaType, p.FileName, p.TransferEncoding, p.DecodedBytes, p.IsAttachment))],
        message.Html is { } html && MailHtml.HasRemoteContent(html));

    /// <summary>A message's envelope and bytes, or a 404.</summary>
    public static (StoredMail Mail, byte[] Raw) Open(this SmtpMailbox mailbox, string messageId) =>
        mailbox.Find(messageId) is { } mail && mailbox.Read(messageId) is { } raw
            ? (mail, raw)
            : throw ProblemException.NotFound("message", messageId);

    public static MailPart Part(this ReceivedMail message, string path, string messageId) =>
        message.Part(path) ?? throw (message.ParseError is { } error
            ? ProblemException.NotFound("part", $"{path}: message {messageId} could not be read as MIME ({error}); download it raw")
            : ProblemException.NotFound("part", path));
}
