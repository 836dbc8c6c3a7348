using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

public sealed record FtpClientGraderOptions
{
    [Display(AutoGenerateField = false), Description("The Netlab FTP server the student's client talked to (set by the assignment).")]
    public string? ServerId { get; init; }

    [Required, StringLength(200), Description("The file the client must fetch with RETR (handout 004's exercise: somefile.txt).")]
    public string File { get; init; } = "somefile.txt";
}

/// <summary>
/// Grades a student's FTP client (handout 004) from the latest session the Netlab FTP server it
/// talked to stored (its control transcript and <see cref="FtpTransfer"/> events): logged in (or,
/// on a server in handout 004 mode, served without), an active-mode data connection (PORT, RFC
/// 959 section 3.2), a LIST and a RETR of the file completed, and QUIT. Nothing is sent.
/// </summary>
public sealed class FtpClientGrader(FtpClientGraderOptions options, LabEnvironment environment) : IProbe
{
    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var session = await GradedSession.ReadAsync(environment, options.ServerId, FtpLab.Definition.Id, "FTP server", cancellationToken);

        var checks = new CheckRunner(events, environment.Time);
        var plan = new (string Name, double Points, string Expected)[]
        {
            ("Logged in", 1, "USER and PASS answered 230 (or, on a server in handout 004 mode, commands served without)"),
            ("PORT data connection", 2, "a data connection in active mode: PORT answered 200, then the server connected to the client"),
            ("LIST completed", 1, "a LIST whose listing arrived whole (226)"),
            ("RETR completed", 2, $"RETR {options.File} whose bytes arrived whole (226)"),
            ("QUIT", 1, "QUIT at the end"),
        };
        var commands = session.Events.OfType<TranscriptLine>().Where(l => l.Channel == TranscriptChannel.Control && l.Direction == TranscriptDirection.ClientToServer).ToList();
        if (commands.Count == 0)
        {
            foreach (var (name, points, expected) in plan)
                checks.Record(name, points, expected, false, "the server received no command: run your client against this server's port, then submit");
            checks.Finish();
            return;
        }
        // The latest client session: earlier runs of the client are other connections.
        var connection = commands[^1].Connection;
        var lines = session.Events.OfType<TranscriptLine>().Where(l => l.Connection == connection && l.Channel == TranscriptChannel.Control).ToList();
        var sent = lines.Where(l => l.Direction == TranscriptDirection.ClientToServer).Select(l => l.Text.Trim()).ToList();
        var replies = lines.Where(l => l.Direction == TranscriptDirection.ServerToClient).Select(l => l.Text).ToList();
        var transfers = session.Events.OfType<FtpTransfer>().Where(t => t.Session == connection).ToList();
        events.Emit(new LogLine(LogSeverity.Info, $"Grading the latest session, from {connection}: {sent.Count} commands, {transfers.Count} data connections."));
        bool Sent(string verb) => sent.Any(c => c.Equals(verb, StringComparison.OrdinalIgnoreCase) || c.StartsWith(verb + " ", StringComparison.OrdinalIgnoreCase));

        var loggedIn = replies.Any(r => r.StartsWith("230", StringComparison.Ordinal));
        var refused = replies.Any(r => r.StartsWith("530", StringComparison.Ordinal));
        var servedWithout = !loggedIn && !refused && transfers.Any(t => t.Completed);
        checks.Record(plan[0].Name, plan[0].Points, plan[0].Expected, loggedIn || servedWithout,
            loggedIn ? "230 after PASS"
            : servedWithout ? "no login, and the server (handout 004 mode) served the commands"
            : !Sent("USER") ? "no USER was sent and the server answered 530 Not logged in: send USER anonymous, then PASS, before other commands"
            : $"USER was sent but no 230 came (replies: {string.Join(" | ", replies.Take(6))}): after 331 send PASS");

        var active = transfers.Where(t => t.Mode == FtpDataMode.Active).ToList();
        checks.Record(plan[1].Name, plan[1].Points, plan[1].Expected, active.Any(t => t.Completed),
            active.Any(t => t.Completed) ? $"{active.Count} active data connection(s)"
            : transfers.Count > 0 && !Sent("PORT") && !Sent("EPRT") ? $"the data went over {(Sent("EPSV") ? "EPSV" : "PASV")} (passive mode): the handout's client listens on a data port and sends PORT, and the server connects to it"
            : Sent("PORT") ? $"PORT was sent but no active transfer completed ({Describe(active)}): listen() before sending PORT, then accept() the server's connection after LIST or RETR"
            : "no PORT was sent: listen on a data port and send PORT h1,h2,h3,h4,p1,p2 before LIST and RETR");

        var listings = transfers.Where(t => t.Direction == FtpTransferDirection.Listing).ToList();
        checks.Record(plan[2].Name, plan[2].Points, plan[2].Expected, listings.Any(t => t.Completed),
            listings.Any(t => t.Completed) ? $"a listing of {listings.First(t => t.Completed).Bytes} bytes"
            : listings.Count > 0 ? $"the listing did not complete: {Describe(listings)}; read the data connection until it closes"
            : Sent("LIST") ? "LIST was sent but no data connection carried a listing: did the server refuse it (see the transcript)?"
            : "no LIST was sent");

        var downloads = transfers.Where(t => t.Direction == FtpTransferDirection.Download).ToList();
        var fetched = downloads.FirstOrDefault(t => t.Completed && t.Path.TrimStart('/').EndsWith(options.File.TrimStart('/'), StringComparison.Ordinal));
        checks.Record(plan[3].Name, plan[3].Points, plan[3].Expected, fetched is not null,
            fetched is not null ? $"{fetched.Path}: {fetched.Bytes} bytes"
            : downloads.Count > 0 ? $"no completed RETR of {options.File}: {Describe(downloads)}"
            : Sent("RETR") ? $"RETR was sent but no file went over a data connection (replies: {string.Join(" | ", replies.TakeLast(4))})"
            : $"no RETR was sent: fetch {options.File} with RETR");

        checks.Record(plan[4].Name, plan[4].Points, plan[4].Expected, Sent("QUIT"),
            Sent("QUIT") ? "QUIT sent" : "the client closed the connection without QUIT: send QUIT and read the 221 before closing");
        checks.Finish();
    }

    private static string Describe(IEnumerable<FtpTransfer> transfers) =>
        string.Join("; ", transfers.Select(t => $"{t.Direction} {t.Path} {t.Bytes} bytes{(t.Completed ? "" : $", not completed{(t.Error is null ? "" : $" ({t.Error})")}")}")) is { Length: > 0 } text ? text : "none";
}
