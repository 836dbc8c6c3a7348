using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

public sealed record FtpServerGraderOptions
{
    [StringLength(100), Description("The user to log in as (anonymous by default); empty: no USER/PASS, as handout 004's own client does.")]
    public string User { get; init; } = "anonymous";

    // Not masked: an assignment stores its grader's options redacted, so a masked password would be lost before grading.
    [StringLength(100), Description("The password for that user: a test account's, since the assignment keeps it as given.")]
    public string Password { get; init; } = "grader@netlab";

    [Display(Name = "Bare PORT (handout 004)")]
    [Description("Send PORT as handout 004 does (\"PORT 12346\", a bare port number) instead of RFC 959's h1,h2,h3,h4,p1,p2.")]
    public bool HandoutPort { get; init; }

    [Required, StringLength(200), Description("A file the server has in its starting directory, fetched with RETR.")]
    public string File { get; init; } = "somefile.txt";

    [Display(Name = "Expected content"), StringLength(100_000), Description("The file's exact text; empty: the copy of the same name in Netlab's FTP content, or just any bytes when there is none (see expected size).")]
    public string ExpectedContent { get; init; } = "";

    [Display(Name = "Expected size"), Range(-1, int.MaxValue), Description("The file's size in bytes when its content is not given; -1 = not checked.")]
    public int ExpectedSize { get; init; } = -1;

    [Required, StringLength(200), Description("A directory under the starting one for CWD and PWD.")]
    public string Directory { get; init; } = "pub";

    [Display(Name = "STOR path"), StringLength(200), Description("Where to upload a small file with STOR (e.g. upload/grader.txt) and fetch it back; empty: STOR is not checked.")]
    public string StorPath { get; init; } = "";

    [Display(Name = "Timeout (ms)", GroupName = "Advanced")]
    [Range(100, 60_000), Description("How long to wait for each reply or data connection, in ms.")]
    public int TimeoutMs { get; init; } = 3000;
}

/// <summary>
/// Grades a student's FTP server (handout 004, RFC 959): greeting, login, SYST, PWD and CWD, LIST
/// and RETR over active-mode data connections (PORT, section 3.2), CRLF line ends in the listing
/// (section 3.1.1.1), optionally STOR, and the reply codes of section 4.2 for mistakes. Each check
/// opens its own control connection, so one broken command costs only its own check.
/// </summary>
public sealed class FtpServerGrader(FtpServerGraderOptions options, LabEnvironment environment) : IProbe
{
    private const int MaxData = 16 << 20;
    private bool Login => options.User.Length > 0;
    private TimeSpan Limit => TimeSpan.FromMilliseconds(options.TimeoutMs * 8L);

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var checks = new CheckRunner(events, environment.Time);
        events.Emit(new LogLine(LogSeverity.Info, $"Grading the FTP server at {target}{(Login ? $" as {options.User}" : " without logging in")}."));
        var greeted = await checks.RunAsync("Greeting", 1, "a 220 reply as soon as the client connects (RFC 959 section 5.4)", Limit, async ct =>
        {
            var (c, greeting) = await FtpClientConnection.ConnectAsync(target.EndPoint, events, options.TimeoutMs, ct);
            await using var _ = c;
            return greeting.Code == 220 ? (true, greeting.ToString())
                : (false, $"the first reply was \"{greeting}\": send \"220 <text>\\r\\n\" right after accept()");
        }, cancellationToken);
        if (!greeted)
        {
            const string NoServer = "not checked: the server did not greet (see \"Greeting\")";
            foreach (var (name, points) in Plan())
                checks.Record(name, points, "a greeting first", false, NoServer);
            checks.Finish();
            return;
        }

        if (Login)
            await Check(checks, "Login", 1, $"USER {options.User} answered 331 (or 230), PASS answered 230", target, events, login: false, async (c, ct) =>
            {
                await LogInAsync(c, ct);
                return (true, "logged in");
            }, cancellationToken);
        await Check(checks, "SYST", 1, "215 and the system type, e.g. \"215 UNIX Type: L8\"", target, events, login: true, async (c, ct) =>
        {
            var r = await c.CommandAsync("SYST", ct);
            return r.Code == 215 ? (true, r.ToString()) : (false, $"SYST answered \"{r}\": reply 215 and the system type (RFC 959 section 4.1.3)");
        }, cancellationToken);
        await Check(checks, "PWD", 1, "257 and the current directory in double quotes, e.g. 257 \"/\"", target, events, login: true, async (c, ct) =>
        {
            var r = await c.CommandAsync("PWD", ct);
            return r.Code == 257 && FtpShell.QuotedPath(r.Message) is not null ? (true, r.ToString())
                : (false, $"PWD answered \"{r}\": reply 257 with the path in double quotes (RFC 959 appendix II), e.g. 257 \"/\" is the current directory");
        }, cancellationToken);
        await Check(checks, "CWD", 1, $"CWD {options.Directory} answered 250, then PWD names {options.Directory}", target, events, login: true, async (c, ct) =>
        {
            var r = await c.CommandAsync("CWD " + options.Directory, ct);
            if (r.Code != 250)
                return (false, $"CWD {options.Directory} answered \"{r}\": change the session's directory and reply 250");
            var pwd = await c.CommandAsync("PWD", ct);
            var path = pwd.Code == 257 ? FtpShell.QuotedPath(pwd.Message) : null;
            return path is not null && path.TrimEnd('/').EndsWith(options.Directory.TrimEnd('/'), StringComparison.Ordinal)
                ? (true, $"{r}; {pwd}")
                : (false, $"CWD answered 250 but PWD then answered \"{pwd}\": the current directory must now end in {options.Directory}");
        }, cancellationToken);

        var expected = Expected();
        await Check(checks, "LIST over PORT", 2, $"PORT answered 200; LIST answered 150, the listing sent over a connection to the PORT address, then 226; it names {options.File}", target, events, login: true, async (c, ct) =>
        {
            var (final, data) = await ActiveAsync(c, "LIST", null, ct);
            var text = Encoding.UTF8.GetString(data);
            if (final.Code is not (226 or 250))
                return (false, $"after the listing LIST ended with \"{final}\": reply 226 once the data connection is closed");
            return text.Contains(options.File, StringComparison.Ordinal) ? (true, $"{data.Length} bytes of listing, then {final}")
                : (false, $"the listing ({data.Length} bytes: \"{Printable.Ascii(data, 120)}\") does not name {options.File}");
        }, cancellationToken);
        await Check(checks, "LIST line ends", 1, "every line of the listing ends in CRLF (RFC 959 section 3.1.1.1: ASCII type)", target, events, login: true, async (c, ct) =>
        {
            var (_, data) = await ActiveAsync(c, "LIST", null, ct);
            if (data.Length == 0)
                return (false, "the listing was empty");
            var bare = Enumerable.Range(0, data.Length).Count(i => data[i] == '\n' && (i == 0 || data[i - 1] != '\r'));
            return bare == 0 && data[^1] == '\n' ? (true, "CRLF line ends")
                : bare > 0 ? (false, $"{bare} listing line(s) end in a bare LF: send \"\\r\\n\" after each line ('\\r\\n'.join(lines) + '\\r\\n')")
                : (false, "the last line of the listing has no line end: end every line with \"\\r\\n\"");
        }, cancellationToken);
        await Check(checks, "RETR", 2, $"RETR {options.File}: 150, {Describe(expected)} over the data connection, then 226", target, events, login: true, async (c, ct) =>
        {
            var (final, data) = await ActiveAsync(c, "RETR " + options.File, null, ct);
            if (final.Code is not (226 or 250))
                return (false, $"after the data RETR ended with \"{final}\": reply 226 once the file is sent and the data connection closed");
            return Compare(data, expected);
        }, cancellationToken);
        if (options.StorPath.Length > 0)
            await Check(checks, "STOR", 1, $"STOR {options.StorPath}: 150, the upload accepted, 226, and RETR gives the same bytes back", target, events, login: true, async (c, ct) =>
            {
                var upload = Encoding.ASCII.GetBytes($"Uploaded by the Netlab grader {Guid.NewGuid():N}\r\nsecond line\r\n");
                var (stored, _) = await ActiveAsync(c, "STOR " + options.StorPath, upload, ct);
                if (stored.Code is not (226 or 250))
                    return (false, $"STOR ended with \"{stored}\": read the data connection to its end, write the file, and reply 226");
                var (fetched, data) = await ActiveAsync(c, "RETR " + options.StorPath, null, ct);
                return fetched.Code is (226 or 250) && data.AsSpan().SequenceEqual(upload) ? (true, $"{upload.Length} bytes stored and fetched back")
                    : (false, $"the stored file came back as {data.Length} bytes (\"{Printable.Ascii(data, 60)}\") with \"{fetched}\", not the {upload.Length} bytes uploaded: write the file in binary ('wb') and close it before replying 226");
            }, cancellationToken);

        await Check(checks, "500 unknown command", 1, "XYZZY (no such command) answered 500 (or 502)", target, events, login: true, async (c, ct) =>
        {
            var r = await c.CommandAsync("XYZZY", ct);
            return r.Code is 500 or 502 ? (true, r.ToString()) : (false, $"an unknown command got \"{r}\": reply 500 Syntax error, command unrecognized");
        }, cancellationToken);
        var badPort = options.HandoutPort ? "PORT abc" : "PORT 127,0,0";
        await Check(checks, "501 bad PORT argument", 1, $"\"{badPort}\" answered 501", target, events, login: true, async (c, ct) =>
        {
            var r = await c.CommandAsync(badPort, ct);
            return r.Code == 501 ? (true, r.ToString())
                : (false, $"\"{badPort}\" got \"{r}\": check the argument ({(options.HandoutPort ? "a port number" : "six numbers 0..255 separated by commas")}) and reply 501 Syntax error in parameters or arguments");
        }, cancellationToken);
        if (Login)
        {
            await Check(checks, "503 bad sequence", 1, "PASS before USER answered 503", target, events, login: false, async (c, ct) =>
            {
                var r = await c.CommandAsync("PASS " + options.Password, ct);
                return r.Code == 503 ? (true, r.ToString()) : (false, $"PASS before any USER got \"{r}\": reply 503 Bad sequence of commands");
            }, cancellationToken);
            await Check(checks, "530 not logged in", 1, "PWD before logging in answered 530", target, events, login: false, async (c, ct) =>
            {
                var r = await c.CommandAsync("PWD", ct);
                return r.Code == 530 ? (true, r.ToString()) : (false, $"PWD before USER and PASS got \"{r}\": until the client logs in, answer 530 Not logged in");
            }, cancellationToken);
        }
        else
            await Check(checks, "503 bad sequence", 1, "LIST before any PORT answered 503 (or 425)", target, events, login: true, async (c, ct) =>
            {
                var r = await c.CommandAsync("LIST", ct);
                return r.Code is 503 or 425 ? (true, r.ToString()) : (false, $"LIST before any PORT got \"{r}\": with no data port given, reply 503 Bad sequence of commands");
            }, cancellationToken);
        await Check(checks, "504 unsupported parameter", 1, "MODE B (block mode, which the minimum implementation need not support) answered 504", target, events, login: true, async (c, ct) =>
        {
            var r = await c.CommandAsync("MODE B", ct);
            return r.Code == 504 ? (true, r.ToString()) : (false, $"MODE B got \"{r}\": a known command with a parameter the server does not support gets 504 Command not implemented for that parameter (RFC 959 section 5.1: only MODE S is required)");
        }, cancellationToken);
        await Check(checks, "QUIT", 1, "221, then the server closes the control connection", target, events, login: true, async (c, ct) =>
        {
            var r = await c.CommandAsync("QUIT", ct);
            if (r.Code != 221)
                return (false, $"QUIT got \"{r}\": reply 221 and close the connection");
            try
            {
                await c.ReadReplyAsync(ct);
                return (false, "after 221 the server sent more instead of closing the connection");
            }
            catch (FtpProtocolException e) when (!e.Message.StartsWith("no reply within", StringComparison.Ordinal))
            {
                return (true, $"{r}, then closed");
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                return (true, $"{r}, then closed");
            }
            catch (FtpProtocolException)
            {
                return (false, "221 came but the connection stayed open: close the socket after QUIT");
            }
        }, cancellationToken);
        checks.Finish();
    }

    /// <summary>The checks in order with their points, for recording them all when the server never greets.</summary>
    private IEnumerable<(string, double)> Plan()
    {
        if (Login) yield return ("Login", 1);
        yield return ("SYST", 1);
        yield return ("PWD", 1);
        yield return ("CWD", 1);
        yield return ("LIST over PORT", 2);
        yield return ("LIST line ends", 1);
        yield return ("RETR", 2);
        if (options.StorPath.Length > 0) yield return ("STOR", 1);
        yield return ("500 unknown command", 1);
        yield return ("501 bad PORT argument", 1);
        yield return ("503 bad sequence", 1);
        if (Login) yield return ("530 not logged in", 1);
        yield return ("504 unsupported parameter", 1);
        yield return ("QUIT", 1);
    }

    /// <summary>Runs one check on a fresh control connection (greeted and, when asked, logged in).</summary>
    private Task Check(CheckRunner checks, string name, double points, string expected, ProbeTarget target, IEventSink events, bool login,
        Func<FtpClientConnection, CancellationToken, Task<(bool, string)>> body, CancellationToken cancellationToken) =>
        checks.RunAsync(name, points, expected, Limit, async ct =>
        {
            var (c, greeting) = await FtpClientConnection.ConnectAsync(target.EndPoint, events, options.TimeoutMs, ct);
            await using var _ = c;
            if (greeting.Code != 220)
                return (false, $"the greeting was \"{greeting}\", not 220");
            if (login && Login)
                await LogInAsync(c, ct);
            return await body(c, ct);
        }, cancellationToken);

    private async Task LogInAsync(FtpClientConnection c, CancellationToken ct)
    {
        var r = await c.CommandAsync("USER " + options.User, ct);
        if (r.Code == 331)
            r = await c.CommandAsync("PASS " + options.Password, ct);
        if (r.Code != 230)
            throw new LabException($"logging in as {options.User} ended with \"{r}\": USER answers 331, then PASS answers 230 (RFC 959 section 4.1.1)");
    }

    /// <summary>
    /// One transfer in active mode (RFC 959 section 3.2): listen, PORT naming the listener, the
    /// command, the server's connection, the bytes, the final reply. Accepting starts before PORT,
    /// since handout 004's server connects as soon as it gets PORT.
    /// </summary>
    private async Task<(FtpReply Final, byte[] Data)> ActiveAsync(FtpClientConnection c, string command, byte[]? upload, CancellationToken ct)
    {
        var local = FtpHostPort.Normalize(c.LocalEndPoint.Address);
        using var listener = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(local, 0));
        listener.Listen(1);
        var bound = (IPEndPoint)listener.LocalEndPoint!;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var accepting = listener.AcceptAsync(stop.Token).AsTask();
        try
        {
            var port = await c.CommandAsync(options.HandoutPort ? $"PORT {bound.Port}" : $"PORT {FtpHostPort.FormatPort(bound)}", ct);
            if (port.Code != 200)
                throw new LabException($"PORT {(options.HandoutPort ? bound.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : FtpHostPort.FormatPort(bound))} answered \"{port}\": remember the client's data address and reply 200 (active mode, RFC 959 section 4.1.2)");
            var first = await c.CommandAsync(command, ct);
            var verb = command.Split(' ')[0];
            if (!first.IsPreliminary && !first.IsSuccess)
                throw new LabException($"{verb} answered \"{first}\" instead of 150 and a data connection");
            Socket data;
            using (var wait = Deadline.After(TimeSpan.FromMilliseconds(options.TimeoutMs), ct, environment.Time))
            {
                try
                {
                    data = await accepting.WaitAsync(wait.Token);
                }
                catch (OperationCanceledException) when (wait.Expired)
                {
                    throw new LabException($"{verb} answered \"{first}\" but no data connection came to {bound} (the PORT address) within {options.TimeoutMs} ms: connect to the address and port PORT gave");
                }
            }
            using (data)
            {
                var received = new MemoryStream();
                if (upload is not null)
                {
                    await data.SendAsync(upload, SocketFlags.None, ct);
                    data.Shutdown(SocketShutdown.Send);
                }
                else
                {
                    var buffer = new byte[64 * 1024];
                    int n;
                    while ((n = await data.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
                    {
                        received.Write(buffer, 0, n);
                        if (received.Length > MaxData)
                            throw new LabException($"{verb} sent more than {MaxData >> 20} MB; stopped");
                    }
                }
                if (upload is not null)
                    data.Close();
                var final = first.IsSuccess ? first : await c.ReadReplyAsync(ct);
                return (final, received.ToArray());
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                (await accepting).Dispose();
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Never connected, or already taken and disposed above.
            }
        }
    }

    /// <summary>What RETR must bring: the given text, Netlab's copy of the file, or only a size.</summary>
    private (byte[]? Content, int Size) Expected()
    {
        if (options.ExpectedContent.Length > 0)
            return (Encoding.UTF8.GetBytes(options.ExpectedContent), -1);
        if (options.ExpectedSize >= 0)
            return (null, options.ExpectedSize);
        return new ContentRoot(environment.ContentRoot).TryResolve("ftp/" + options.File, out var path) == ContentRoot.Outcome.Found && System.IO.File.Exists(path)
            ? (System.IO.File.ReadAllBytes(path), -1) : (null, -1);
    }

    private static string Describe((byte[]? Content, int Size) expected) =>
        expected.Content is not null ? $"its {expected.Content.Length} bytes exactly" : expected.Size >= 0 ? $"{expected.Size} bytes" : "its bytes";

    private static (bool, string) Compare(byte[] data, (byte[]? Content, int Size) expected)
    {
        if (expected.Content is { } content)
        {
            if (data.AsSpan().SequenceEqual(content))
                return (true, $"{data.Length} bytes, identical");
            var at = data.AsSpan().CommonPrefixLength(content);
            return (false, data.Length == content.Length
                ? $"{data.Length} bytes as expected, but they differ from byte {at} on: send the file's bytes unchanged (open it with 'rb')"
                : $"{data.Length} bytes instead of {content.Length}, differing from byte {at} on: send the whole file unchanged (open with 'rb', loop until every byte is sent, then close the data connection)");
        }
        if (expected.Size >= 0)
            return data.Length == expected.Size ? (true, $"{data.Length} bytes")
                : (false, $"{data.Length} bytes instead of {expected.Size}: send the whole file unchanged, then close the data connection");
        return data.Length > 0 ? (true, $"{data.Length} bytes") : (false, "the file came as 0 bytes");
    }
}
