using System.Text;
using Microsoft.Extensions.Time.Testing;
using Netlab.Labs.Core;
using Netlab.Labs.Smtp;

namespace Netlab.Labs.Tests.Smtp;

/// <summary>The server's RFC 5321 state machine, driven byte by byte over a real socket.</summary>
public class SmtpServerDialogueTests
{
    private static async Task<RawSmtp> ReadyAsync(RunningSmtpServer server)
    {
        var raw = await RawSmtp.ConnectAsync(server.EndPoint);
        Assert.Equal(250, (await raw.CommandAsync("EHLO client.test")).Code);
        return raw;
    }

    [Fact]
    public async Task Ehlo_advertises_size_8bitmime_pipelining_starttls_and_auth()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { MaxMessageBytes = 123_456 });
        await using var raw = await RawSmtp.ConnectAsync(server.EndPoint);
        var reply = await raw.CommandAsync("EHLO client.test");
        Assert.Equal(250, reply.Code);
        Assert.StartsWith("netlab.test Hello client.test", reply.Lines[0]);
        Assert.Contains("SIZE 123456", reply.Lines);
        Assert.Contains("8BITMIME", reply.Lines);
        Assert.Contains("PIPELINING", reply.Lines);
        Assert.Contains("STARTTLS", reply.Lines);
        Assert.Contains("AUTH PLAIN LOGIN", reply.Lines);
        Assert.Equal(250, (await raw.CommandAsync("HELO client.test")).Code);
    }

    [Theory]
    [InlineData("MAIL FROM:<a@b.c>", 503)]      // before EHLO
    [InlineData("RCPT TO:<a@b.c>", 503)]
    [InlineData("DATA", 503)]
    [InlineData("AUTH PLAIN AHN0dWRlbnQAbmV0bGFi", 503)]
    [InlineData("STARTTLS", 503)]
    [InlineData("EHLO", 501)]
    [InlineData("VRFY", 501)]
    [InlineData("FROBNICATE", 500)]
    [InlineData("GET / HTTP/1.1", 500)]
    [InlineData("EXPN staff", 502)]
    [InlineData("BDAT 10 LAST", 502)]
    [InlineData("NOOP", 250)]
    [InlineData("RSET", 250)]
    [InlineData("VRFY alice", 252)]
    [InlineData("HELP", 214)]
    public async Task Commands_out_of_order_unknown_or_bad_get_the_rfc_reply(string command, int code)
    {
        await using var server = await RunningSmtpServer.StartAsync();
        await using var raw = await RawSmtp.ConnectAsync(server.EndPoint);
        Assert.Equal(code, (await raw.CommandAsync(command)).Code);
        // ... and the session goes on.
        Assert.Equal(250, (await raw.CommandAsync("EHLO client.test")).Code);
    }

    [Theory]
    [InlineData(true, "2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT STARTTLS AUTH")]
    [InlineData(false, "2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT AUTH")]
    public async Task Help_lists_the_commands_offered_now(bool startTls, string commands)
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { StartTls = startTls });
        await using var raw = await RawSmtp.ConnectAsync(server.EndPoint);
        var help = await raw.CommandAsync("HELP MAIL");
        Assert.Equal(214, help.Code);
        Assert.Equal([commands, "2.0.0 End of HELP info"], help.Lines);
        Assert.Equal(startTls ? 503 : 502, (await raw.CommandAsync("STARTTLS")).Code); // before EHLO: not offered beats bad sequence
    }

    [Theory]
    [InlineData("MAIL FROM:a@b.c SIZE=abc", 501)]
    [InlineData("MAIL FROM:<a@b.c> SIZE=99999999999", 552)]
    [InlineData("MAIL FROM:<a@b.c> BODY=BINARYMIME", 501)]
    [InlineData("MAIL FROM:<a@b.c> SMTPUTF8", 555)]
    [InlineData("MAIL FROM:<not an address>", 501)]
    [InlineData("MAIL TO:<a@b.c>", 501)]
    [InlineData("MAIL", 501)]
    public async Task Bad_mail_arguments_get_501_552_or_555(string command, int code)
    {
        await using var server = await RunningSmtpServer.StartAsync();
        await using var raw = await ReadyAsync(server);
        Assert.Equal(code, (await raw.CommandAsync(command)).Code);
        Assert.Equal(250, (await raw.CommandAsync("MAIL FROM:<a@b.c>")).Code);
    }

    [Fact]
    public async Task Transaction_sequence_errors_nested_mail_no_recipients_and_data_arguments()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { MaxRecipients = 2 });
        await using var raw = await ReadyAsync(server);
        Assert.Equal(503, (await raw.CommandAsync("RCPT TO:<x@y.z>")).Code);       // RCPT before MAIL
        Assert.Equal(250, (await raw.CommandAsync("MAIL FROM:<>")).Code);           // null sender is fine
        Assert.Equal(503, (await raw.CommandAsync("MAIL FROM:<a@b.c>")).Code);      // nested MAIL
        Assert.Equal(554, (await raw.CommandAsync("DATA")).Code);                   // no valid recipients
        Assert.Equal(501, (await raw.CommandAsync("RCPT TO:<>")).Code);
        Assert.Equal(250, (await raw.CommandAsync("RCPT TO:<x@y.z>")).Code);
        Assert.Equal(250, (await raw.CommandAsync("RCPT TO:<w@y.z>")).Code);
        Assert.Equal(452, (await raw.CommandAsync("RCPT TO:<v@y.z>")).Code);       // over maxRecipients
        Assert.Equal(501, (await raw.CommandAsync("DATA now")).Code);
        Assert.Equal(250, (await raw.CommandAsync("RSET")).Code);
        Assert.Equal(503, (await raw.CommandAsync("DATA")).Code);                   // RSET ended the transaction
        Assert.Equal(221, (await raw.CommandAsync("QUIT")).Code);
        Assert.True(await raw.ClosedAsync());
    }

    [Fact]
    public async Task Data_is_dot_unstuffed_and_stored_exactly_and_pipelined_commands_work()
    {
        await using var server = await RunningSmtpServer.StartAsync();
        await using var raw = await ReadyAsync(server);
        // All at once, as a PIPELINING client may (RFC 2920).
        await raw.SendRawAsync("MAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nRCPT TO:<w@y.z>\r\nDATA\r\n");
        Assert.Equal(250, (await raw.ReplyAsync()).Code);
        Assert.Equal(250, (await raw.ReplyAsync()).Code);
        Assert.Equal(250, (await raw.ReplyAsync()).Code);
        Assert.Equal(354, (await raw.ReplyAsync()).Code);
        await raw.SendRawAsync("Subject: dots\r\n\r\n..leading dot\r\n.\r\n");
        var queued = await raw.ReplyAsync();
        Assert.Equal(250, queued.Code);

        var mail = Assert.Single(await server.MailAsync(1));
        Assert.Contains(mail.Id, queued.Text);
        Assert.Equal("Subject: dots\r\n\r\n.leading dot\r\n", Encoding.ASCII.GetString(server.Raw(mail)));
        Assert.Equal("a@b.c", mail.From);
        Assert.Equal(["x@y.z", "w@y.z"], mail.To);
        Assert.Equal("dots", server.Message(mail).Subject);
    }

    [Fact]
    public async Task A_command_line_over_512_octets_gets_500_and_the_session_goes_on()
    {
        await using var server = await RunningSmtpServer.StartAsync();
        await using var raw = await RawSmtp.ConnectAsync(server.EndPoint);
        Assert.Equal(500, (await raw.CommandAsync("EHLO " + new string('a', 600))).Code);
        Assert.Equal(500, (await raw.CommandAsync("NOOP \u0001\u0002")).Code);
        Assert.Equal(250, (await raw.CommandAsync("EHLO ok")).Code);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_gets_552_after_its_end_and_a_text_line_over_1000_gets_500()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { MaxMessageBytes = 2048 });
        await using var raw = await ReadyAsync(server);
        Assert.Equal(250, (await raw.CommandAsync("MAIL FROM:<a@b.c>")).Code);
        Assert.Equal(250, (await raw.CommandAsync("RCPT TO:<x@y.z>")).Code);
        Assert.Equal(354, (await raw.CommandAsync("DATA")).Code);
        await raw.SendRawAsync(string.Concat(Enumerable.Repeat(new string('x', 70) + "\r\n", 100)) + ".\r\n");
        Assert.Equal(552, (await raw.ReplyAsync()).Code);

        Assert.Equal(250, (await raw.CommandAsync("MAIL FROM:<a@b.c>")).Code);
        Assert.Equal(250, (await raw.CommandAsync("RCPT TO:<x@y.z>")).Code);
        Assert.Equal(354, (await raw.CommandAsync("DATA")).Code);
        await raw.SendRawAsync(new string('y', 1200) + "\r\n.\r\n");
        Assert.Equal(500, (await raw.ReplyAsync()).Code);
        Assert.Empty(server.Server.Mailbox.List());
        Assert.Equal(250, (await raw.CommandAsync("NOOP")).Code);
    }

    [Fact]
    public async Task A_bare_lf_client_is_served_and_warned_and_a_bare_lf_dot_does_not_end_the_message()
    {
        await using var server = await RunningSmtpServer.StartAsync();
        await using (var raw = await RawSmtp.ConnectAsync(server.EndPoint))
        {
            await raw.SendRawAsync("HELO Alice\n");
            Assert.Equal(250, (await raw.ReplyAsync()).Code);
            await raw.SendRawAsync("MAIL FROM:<a@b.c>\nRCPT TO:<x@y.z>\nDATA\n");
            Assert.Equal(250, (await raw.ReplyAsync()).Code);
            Assert.Equal(250, (await raw.ReplyAsync()).Code);
            Assert.Equal(354, (await raw.ReplyAsync()).Code);
            await raw.SendRawAsync("\r\n I love computer networks!\n.\n"); // the handout's endmsg with LF only
            await raw.SendRawAsync("\r\n.\r\n");
            Assert.Equal(250, (await raw.ReplyAsync()).Code);
            Assert.Equal(221, (await raw.CommandAsync("QUIT")).Code);
        }
        var events = await server.StopAsync();
        var closed = Assert.Single(events.OfType<SmtpSessionClosed>());
        Assert.Contains(closed.Warnings, w => w.Contains("bare LF") && w.Contains("2.3.8"));
        Assert.Contains(closed.Warnings, w => w.Contains("does not end the message"));
        Assert.Contains(events.OfType<LogLine>(), l => l.Severity == LogSeverity.Warning && l.Text.Contains("bare LF"));
    }

    [Fact]
    public async Task Mistakes_are_warned_talking_before_the_greeting_no_final_dot_no_quit()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { GreetingDelayMs = 300 });
        await using (var raw = await RawSmtp.ConnectAsync(server.EndPoint, readGreeting: false))
        {
            await raw.SendRawAsync("HELO early\r\n"); // before the greeting
            Assert.Equal(220, (await raw.ReplyAsync()).Code);
            Assert.Equal(250, (await raw.ReplyAsync()).Code);
            Assert.Equal(250, (await raw.CommandAsync("MAIL FROM:<a@b.c>")).Code);
            Assert.Equal(250, (await raw.CommandAsync("RCPT TO:<x@y.z>")).Code);
            Assert.Equal(354, (await raw.CommandAsync("DATA")).Code);
            await raw.SendRawAsync("Subject: unfinished\r\n\r\nno end\r\n");
        } // closes without "." and without QUIT
        await server.SessionsClosedAsync();
        var events = await server.StopAsync();
        var closed = Assert.Single(events.OfType<SmtpSessionClosed>());
        Assert.Contains(closed.Warnings, w => w.Contains("before the 220 greeting"));
        Assert.Contains(closed.Warnings, w => w.Contains("before the final \".\" line"));
        Assert.Empty(server.Server.Mailbox.List());
    }

    [Fact]
    public async Task A_session_without_quit_is_warned()
    {
        await using var server = await RunningSmtpServer.StartAsync();
        await using (var raw = await ReadyAsync(server)) { }
        await server.SessionsClosedAsync();
        var closed = Assert.Single((await server.StopAsync()).OfType<SmtpSessionClosed>());
        Assert.Equal("client closed without QUIT", closed.Outcome);
        Assert.Equal(SmtpSessionEnd.ClosedWithoutQuit, closed.End);
        Assert.False(closed.Clean);
        Assert.Contains(closed.Warnings, w => w.Contains("without QUIT"));
    }

    [Fact]
    public async Task A_silent_client_gets_421_after_the_command_timeout_and_others_are_served_meanwhile()
    {
        // The server's clock is a fake one: the test moves it on instead of waiting.
        var clock = new FakeTimeProvider();
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { CommandTimeoutMs = 5_000 }, time: clock);
        await using var silent = await RawSmtp.ConnectAsync(server.EndPoint);
        await using var busy = await ReadyAsync(server);
        var reply = silent.ReplyAsync();
        // Steps shorter than the timeout: the busy client, answered at each, never times out; the
        // silent one does, however late its session started its clock.
        while (!reply.IsCompleted)
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            Assert.Equal(250, (await busy.CommandAsync("NOOP")).Code);
        }
        Assert.Equal("421 4.4.2 netlab.test Error: timeout exceeded", (await reply).ToString());
        Assert.True(await silent.ClosedAsync());
        await server.SessionsClosedAsync();
        Assert.Contains((await server.StopAsync()).OfType<SmtpSessionClosed>(), c => c is { Outcome: "timed out: no command for 5000 ms", End: SmtpSessionEnd.TimedOut });
    }

    [Fact]
    public async Task Twenty_errors_and_the_client_is_dropped()
    {
        await using var server = await RunningSmtpServer.StartAsync();
        await using var raw = await RawSmtp.ConnectAsync(server.EndPoint);
        for (var i = 0; i < 20; i++)
            Assert.Equal(500, (await raw.CommandAsync("JUNK")).Code);
        Assert.Equal(421, (await raw.CommandAsync("JUNK")).Code);
        Assert.True(await raw.ClosedAsync());
    }

    [Fact]
    public async Task Sessions_beyond_the_limit_get_421_and_many_sessions_run_at_once()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { MaxSessions = 30 });
        var sessions = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => RawSmtp.ConnectAsync(server.EndPoint)));
        await using (var extra = await RawSmtp.ConnectAsync(server.EndPoint, readGreeting: false))
        {
            Assert.Equal(421, (await extra.ReplyAsync()).Code);
        }
        var replies = await Task.WhenAll(sessions.Select(s => s.CommandAsync("EHLO many")));
        Assert.All(replies, r => Assert.Equal(250, r.Code));
        foreach (var s in sessions) await s.DisposeAsync();
    }

    [Fact]
    public async Task Auth_plain_and_login_against_accounts_with_bad_input_answered_501_504_535()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { AcceptAnyLogin = false, Accounts = "alice:wonderland" });
        await using var raw = await ReadyAsync(server);
        Assert.Equal(504, (await raw.CommandAsync("AUTH CRAM-MD5")).Code);
        Assert.Equal(501, (await raw.CommandAsync("AUTH")).Code);
        Assert.Equal(501, (await raw.CommandAsync("AUTH PLAIN !!!notbase64")).Code);
        Assert.Equal(535, (await raw.CommandAsync("AUTH PLAIN " + Convert.ToBase64String("\0alice\0wrong"u8.ToArray()))).Code);
        Assert.Equal(334, (await raw.CommandAsync("AUTH LOGIN")).Code);
        Assert.Equal(501, (await raw.CommandAsync("*")).Code); // cancelled (RFC 4954 section 4)
        Assert.Equal(334, (await raw.CommandAsync("AUTH LOGIN")).Code);
        Assert.Equal(334, (await raw.CommandAsync(Convert.ToBase64String("alice"u8.ToArray()))).Code);
        Assert.Equal(235, (await raw.CommandAsync(Convert.ToBase64String("wonderland"u8.ToArray()))).Code);
        Assert.Equal(503, (await raw.CommandAsync("AUTH PLAIN AGEAYg==")).Code); // already authenticated
        await raw.CommandAsync("QUIT");
        var events = await server.StopAsync();
        Assert.Equal("alice", Assert.Single(events.OfType<SmtpSessionClosed>()).User);
        // The secrets never reach the transcript.
        var transcript = string.Join("\n", events.OfType<TranscriptLine>().Select(t => t.Text));
        Assert.DoesNotContain(Convert.ToBase64String("wonderland"u8.ToArray()), transcript);
        Assert.DoesNotContain(Convert.ToBase64String("\0alice\0wrong"u8.ToArray()), transcript);
        Assert.Contains("AUTH PLAIN ****", transcript);
    }

    [Fact]
    public async Task Require_tls_and_require_auth_answer_530_and_auth_requires_tls_answers_538()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { RequireTls = true, AuthRequiresTls = true });
        await using var raw = await ReadyAsync(server);
        Assert.Equal(530, (await raw.CommandAsync("MAIL FROM:<a@b.c>")).Code);
        Assert.Equal(538, (await raw.CommandAsync("AUTH PLAIN AGEAYg==")).Code);

        await using var authServer = await RunningSmtpServer.StartAsync(new SmtpServerOptions { RequireAuth = true });
        await using var raw2 = await ReadyAsync(authServer);
        Assert.Equal(530, (await raw2.CommandAsync("MAIL FROM:<a@b.c>")).Code);
        Assert.Equal(235, (await raw2.CommandAsync("AUTH PLAIN AGEAYg==")).Code);
        Assert.Equal(250, (await raw2.CommandAsync("MAIL FROM:<a@b.c>")).Code);
        Assert.Equal(503, (await raw2.CommandAsync("AUTH PLAIN AGEAYg==")).Code);
    }

    [Fact]
    public async Task Without_starttls_the_server_does_not_offer_it_and_answers_502()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { StartTls = false });
        await using var raw = await RawSmtp.ConnectAsync(server.EndPoint);
        Assert.DoesNotContain("STARTTLS", (await raw.CommandAsync("EHLO a")).Lines);
        Assert.Equal(502, (await raw.CommandAsync("STARTTLS")).Code);
    }

    [Theory]
    [InlineData(SmtpFaultStage.Helo, 421)]
    [InlineData(SmtpFaultStage.Mail, 451)]
    [InlineData(SmtpFaultStage.Rcpt, 550)]
    [InlineData(SmtpFaultStage.Data, 554)]
    [InlineData(SmtpFaultStage.Message, 452)]
    public async Task Fault_injection_answers_the_chosen_stage_with_the_chosen_code(SmtpFaultStage stage, int code)
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { FaultStage = stage, FaultCode = code });
        await using var raw = await RawSmtp.ConnectAsync(server.EndPoint);
        var replies = new List<int>
        {
            (await raw.CommandAsync("EHLO a")).Code,
            (await raw.CommandAsync("MAIL FROM:<a@b.c>")).Code,
            (await raw.CommandAsync("RCPT TO:<x@y.z>")).Code,
            (await raw.CommandAsync("DATA")).Code,
        };
        if (replies[^1] == 354)
        {
            await raw.SendRawAsync("Subject: x\r\n\r\nbody\r\n.\r\n");
            replies.Add((await raw.ReplyAsync()).Code);
        }
        Assert.Contains(code, replies);
        Assert.Equal(1, replies.Count(r => r == code));
    }

    [Fact]
    public async Task A_connect_fault_answers_the_greeting_with_its_code_and_faults_can_be_changed_while_running()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { FaultStage = SmtpFaultStage.Connect, FaultCode = 554 });
        await using (var raw = await RawSmtp.ConnectAsync(server.EndPoint, readGreeting: false))
        {
            Assert.Equal(554, (await raw.ReplyAsync()).Code);
            Assert.True(await raw.ClosedAsync());
        }
        server.Server.Fault = SmtpFault.None;
        await using var ok = await RawSmtp.ConnectAsync(server.EndPoint); // asserts 220
        // With probability 0.5, over 60 tries both outcomes appear.
        server.Server.Fault = new SmtpFault { Stage = SmtpFaultStage.Rcpt, Code = 450, Probability = 0.5 };
        Assert.Equal(250, (await ok.CommandAsync("EHLO a")).Code);
        var codes = new List<int>();
        for (var i = 0; i < 60; i++)
        {
            Assert.Equal(250, (await ok.CommandAsync("MAIL FROM:<a@b.c>")).Code);
            codes.Add((await ok.CommandAsync("RCPT TO:<x@y.z>")).Code);
            Assert.Equal(250, (await ok.CommandAsync("RSET")).Code);
        }
        Assert.Contains(450, codes);
        Assert.Contains(250, codes);
    }

    [Fact]
    public async Task Garbage_bytes_never_stop_the_server()
    {
        await using var server = await RunningSmtpServer.StartAsync();
        var random = new Random(821);
        for (var i = 0; i < 20; i++)
        {
            var garbage = new byte[random.Next(1, 5000)];
            random.NextBytes(garbage);
            await using var raw = await RawSmtp.ConnectAsync(server.EndPoint);
            await raw.SendRawAsync(garbage);
        }
        await using var after = await RawSmtp.ConnectAsync(server.EndPoint);
        Assert.Equal(250, (await after.CommandAsync("EHLO still.alive")).Code);
        Assert.Equal(ServerState.Running, server.Server.State);
    }
}
