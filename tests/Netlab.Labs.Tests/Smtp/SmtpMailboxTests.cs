using System.Text;
using Netlab.Labs.Smtp;

namespace Netlab.Labs.Tests.Smtp;

/// <summary>The mailbox on disk: what the server acknowledged survives it, within a quota, and can be read without it.</summary>
public sealed class SmtpMailboxTests : IDisposable
{
    private readonly string storage = Path.Combine(Path.GetTempPath(), "netlab-mailbox-tests", Guid.NewGuid().ToString("N"));

    private string MailboxDirectory => SmtpServer.MailboxDirectory(storage);

    public void Dispose()
    {
        if (Directory.Exists(storage))
            Directory.Delete(storage, recursive: true);
    }

    /// <summary>Python's smtplib sends numbered messages over one session; returns the final reply to each DATA.</summary>
    private static async Task<List<string>> SendWithSmtplibAsync(int port, int count, string subject = "flood")
    {
        await using var client = PythonPeer.Start("smtplib_sender.py", "127.0.0.1", port.ToString(), count.ToString(), subject);
        var (exit, output, error) = await client.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, output + error);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    private static string QueuedId(string reply) => reply[(reply.LastIndexOf(' ') + 1)..];

    [Fact]
    public async Task Mail_survives_a_stop_and_a_new_server_on_the_same_directory_and_reads_without_a_server()
    {
        List<string> first;
        Dictionary<string, byte[]> bytesBefore;
        await using (var server = await RunningSmtpServer.StartAsync(storageDirectory: storage))
        {
            first = await SendWithSmtplibAsync(server.Port, 3, "before");
            Assert.All(first, r => Assert.StartsWith("250 2.0.0 Ok: queued as ", r));
            bytesBefore = (await server.MailAsync(3)).ToDictionary(m => m.Id, server.Raw);
            await server.StopAsync();
        }
        Assert.Equal(first.Select(QueuedId).Order(), bytesBefore.Keys.Order());
        Assert.Equal(6, Directory.GetFiles(MailboxDirectory).Length); // .eml and .json each, nothing else

        // Read, as the portal does once the server is gone.
        var closed = SmtpMailbox.OpenDirectory(MailboxDirectory);
        Assert.Equal(["before 1", "before 2", "before 3"], closed.List().Select(m => ReceivedMail.Parse(closed.Read(m.Id)!).Subject));
        var envelope = closed.List()[0];
        Assert.Equal(("sender@netlab.test", "smtplib-sender", false, null), (envelope.From, envelope.Helo, envelope.Tls, envelope.User));
        Assert.Equal(["inbox@netlab.test"], envelope.To);
        Assert.StartsWith("127.0.0.1:", envelope.Client);

        // A new server object on the same directory: the old mail is there, new ids never repeat old ones.
        await using var again = await RunningSmtpServer.StartAsync(storageDirectory: storage);
        Assert.Equal(3, again.Server.Mailbox.Count);
        foreach (var (id, bytes) in bytesBefore)
            Assert.Equal(bytes, again.Server.Mailbox.Read(id));
        var second = await SendWithSmtplibAsync(again.Port, 2, "after");
        await again.MailAsync(2);
        Assert.Equal(5, again.Server.Mailbox.List().Select(m => m.Id).Distinct().Count());
        Assert.Empty(second.Select(QueuedId).Intersect(bytesBefore.Keys));
        Assert.Equal(["before 1", "before 2", "before 3", "after 1", "after 2"], again.Server.Mailbox.List().Select(m => again.Message(m).Subject));
    }

    [Fact]
    public async Task What_was_never_acknowledged_is_removed_when_the_server_opens_the_directory()
    {
        await using (var server = await RunningSmtpServer.StartAsync(storageDirectory: storage))
        {
            await SendWithSmtplibAsync(server.Port, 1);
            await server.MailAsync(1);
            await server.StopAsync();
        }
        // What a kill leaves mid-write: a temporary file, and an .eml whose envelope was never renamed into place.
        var orphan = SmtpMailbox.NewId();
        File.WriteAllText(Path.Combine(MailboxDirectory, orphan + ".eml"), "Subject: half\r\n\r\nnever acknowledged\r\n");
        File.WriteAllText(Path.Combine(MailboxDirectory, SmtpMailbox.NewId() + ".eml.tmp"), "Subject: torn");
        File.WriteAllText(Path.Combine(MailboxDirectory, "notes.txt"), "not mail, left alone");
        Assert.Single(SmtpMailbox.OpenDirectory(MailboxDirectory).List()); // reading alone changes nothing

        await using var again = await RunningSmtpServer.StartAsync(storageDirectory: storage);
        Assert.Single(again.Server.Mailbox.List());
        Assert.Equal(["notes.txt"], Directory.GetFiles(MailboxDirectory).Select(Path.GetFileName).Where(n => !n!.EndsWith(".eml") && !n.EndsWith(".json")));
        Assert.False(File.Exists(Path.Combine(MailboxDirectory, orphan + ".eml")));
    }

    [Fact]
    public async Task Delete_and_empty_remove_the_files_even_without_the_server()
    {
        await using (var server = await RunningSmtpServer.StartAsync(storageDirectory: storage))
        {
            await SendWithSmtplibAsync(server.Port, 3);
            var mail = await server.MailAsync(3);
            Assert.True(server.Server.Mailbox.Delete(mail[0].Id));
            Assert.False(server.Server.Mailbox.Delete(mail[0].Id));
            Assert.Null(server.Server.Mailbox.Read(mail[0].Id));
            Assert.Equal(4, Directory.GetFiles(MailboxDirectory).Length);
            await server.StopAsync();
        }
        var closed = SmtpMailbox.OpenDirectory(MailboxDirectory);
        Assert.Equal(2, closed.Count);
        closed.Clear();
        Assert.Empty(Directory.GetFiles(MailboxDirectory));
        Assert.Empty(SmtpMailbox.OpenDirectory(MailboxDirectory).List());
        Assert.Empty(SmtpMailbox.OpenDirectory(Path.Combine(storage, "never-created")).List());
    }

    [Fact]
    public async Task A_full_mailbox_answers_452_at_mail_and_keeps_what_it_accepted()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { MailboxSize = 2 }, storageDirectory: storage);
        var replies = await SendWithSmtplibAsync(server.Port, 3);
        Assert.Equal(2, replies.Count(r => r.StartsWith("250 ")));
        // RFC 5321 section 4.2.2 / RFC 3463: 452 4.3.1, transient, so the client keeps the message and retries later.
        Assert.StartsWith("452 4.3.1 Error: mailbox full", replies[2]);
        Assert.Equal(["flood 1", "flood 2"], server.Server.Mailbox.List().Select(m => server.Message(m).Subject));

        server.Server.Mailbox.Clear(); // room again: the same client now gets through
        Assert.StartsWith("250 ", Assert.Single(await SendWithSmtplibAsync(server.Port, 1)));
    }

    [Fact]
    public async Task The_byte_quota_answers_452_after_data_and_552_for_a_message_that_could_never_fit()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { MailboxBytes = 2000 }, storageDirectory: storage);
        await using var raw = await RawSmtp.ConnectAsync(server.EndPoint);
        Assert.Equal(250, (await raw.CommandAsync("EHLO quota")).Code);

        Task<SmtpReply> SendAsync(int bodyBytes) => raw.SendSizedMessageAsync(bodyBytes);

        Assert.Equal(250, (await SendAsync(1200)).Code);
        var full = await SendAsync(1200); // 2400 > 2000: no room now, but there will be once emptied
        Assert.Equal((452, "4.3.1"), (full.Code, full.Text.Split(' ')[0]));
        var never = await SendAsync(2500); // larger than the whole mailbox: permanent
        Assert.Equal((552, "5.3.4"), (never.Code, never.Text.Split(' ')[0]));
        Assert.Equal(1, server.Server.Mailbox.Count);
        Assert.Equal(2, Directory.GetFiles(MailboxDirectory).Length);
    }

    [Fact]
    public void The_directory_itself_is_fsynced_so_the_renames_are_durable()
    {
        Directory.CreateDirectory(storage);
        Assert.Equal(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), SmtpMailbox.SyncDirectory(storage));
    }
}
