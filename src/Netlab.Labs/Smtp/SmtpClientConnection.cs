using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

/// <summary>
/// The client's side of an SMTP connection: send a command, read a (multi-line) reply, switch to
/// TLS, send a message with dot-stuffing. Every line both ways goes to the transcript.
/// </summary>
public sealed class SmtpClientConnection : IAsyncDisposable
{
    /// <summary>Lines of the message shown in the transcript; the rest is summarized.</summary>
    private const int ShownMessageLines = 60;

    private readonly Socket socket;
    private readonly SmtpTranscript transcript;
    private Stream stream;
    private LineReader reader;

    private SmtpClientConnection(Socket socket, IEventSink events)
    {
        this.socket = socket;
        transcript = new SmtpTranscript(events, null, labelLoginSteps: true);
        stream = new NetworkStream(socket, ownsSocket: false);
        reader = new LineReader(stream);
    }

    public bool Secure { get; private set; }

    public double ConnectMs { get; private init; }

    public static async Task<SmtpClientConnection> ConnectAsync(IPEndPoint endPoint, IEventSink events, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var started = Stopwatch.GetTimestamp();
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new SmtpClientConnection(socket, events) { ConnectMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds };
    }

    /// <summary>Sends one command line (AUTH secrets are masked in the transcript, not on the wire).</summary>
    public async Task SendAsync(string line, CancellationToken cancellationToken)
    {
        Emit(TranscriptDirection.ClientToServer, line);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), cancellationToken);
    }

    /// <summary>Reads one reply (RFC 5321 section 4.2.1: "250-" lines until "250 "); every line goes to the transcript as it comes.</summary>
    public async Task<SmtpReply> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var reply = await MultilineReply.ReadAsync(reader, SmtpReply.Grammar, line => Emit(TranscriptDirection.ServerToClient, line), cancellationToken);
        return new SmtpReply(reply.Code, reply.Lines);
    }

    /// <summary>Upgrades to TLS after the server's 220 to STARTTLS (RFC 3207 section 4).</summary>
    public async Task<X509Certificate2?> StartTlsAsync(string targetHost, bool verify, CancellationToken cancellationToken)
    {
        var secure = new SslStream(stream, leaveInnerStreamOpen: false);
        string? problem = null;
        await secure.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            RemoteCertificateValidationCallback = (_, _, _, errors) =>
            {
                problem = errors == SslPolicyErrors.None ? null : errors.ToString();
                return !verify || errors == SslPolicyErrors.None;
            },
        }, cancellationToken);
        stream = secure;
        reader.Switch(secure);
        Secure = true;
        var certificate = secure.RemoteCertificate is { } remote ? new X509Certificate2(remote) : null;
        Emit(TranscriptDirection.Info, $"TLS started: {secure.SslProtocol}, {secure.NegotiatedCipherSuite}");
        if (certificate is not null)
            Emit(TranscriptDirection.Info, $"server certificate: {certificate.Subject}, valid until {certificate.NotAfter:yyyy-MM-dd}"
                + (problem is null ? ", trusted" : verify ? "" : $", NOT verified ({problem}; accepted because verifyCertificate is off)"));
        return certificate;
    }

    /// <summary>
    /// Sends the message and the final "." line. RFC 5321 section 4.5.2: a line that starts with
    /// "." gets another "." so the server cannot take it for the end.
    /// </summary>
    public async Task SendMessageAsync(byte[] message, CancellationToken cancellationToken)
    {
        var output = new MemoryStream(message.Length + 64);
        var position = 0;
        var shown = 0;
        var lines = 0;
        while (position < message.Length)
        {
            var lf = Array.IndexOf(message, (byte)'\n', position);
            var end = lf < 0 ? message.Length : lf + 1;
            var line = message.AsSpan(position, end - position);
            var content = line.TrimEnd("\r\n"u8);
            if (content.Length > 0 && content[0] == '.')
                output.WriteByte((byte)'.');
            output.Write(content);
            output.Write("\r\n"u8);
            if (shown < ShownMessageLines)
            {
                Emit(TranscriptDirection.ClientToServer, (content.Length > 0 && content[0] == '.' ? "." : "") + Encoding.UTF8.GetString(content));
                shown++;
            }
            lines++;
            position = end;
        }
        if (lines > shown)
            Emit(TranscriptDirection.Info, $"[{lines - shown} more lines of the message not shown; {message.Length} bytes in all]");
        output.Write(".\r\n"u8);
        Emit(TranscriptDirection.ClientToServer, ".");
        await stream.WriteAsync(output.GetBuffer().AsMemory(0, (int)output.Length), cancellationToken);
    }

    public void Info(string text) => Emit(TranscriptDirection.Info, text);

    private void Emit(TranscriptDirection direction, string text) => transcript.Write(direction, text, Secure);

    public async ValueTask DisposeAsync()
    {
        await stream.DisposeAsync();
        socket.Dispose();
    }
}
