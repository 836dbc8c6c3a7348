using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Netlab.Web.Tests;

/// <summary>The sign-in keys live in the database; an older portal's key files are taken in once.</summary>
public class DataProtectionKeysTests
{
    [Fact]
    public async Task What_an_older_portal_protected_with_its_key_files_still_reads_after_the_upgrade()
    {
        var data = NetlabFactory.NewDataDirectory();
        var keys = new DirectoryInfo(Path.Combine(data, "keys"));
        // What the portal did before: keys as files in the data folder, the application named Netlab.
        var before = DataProtectionProvider.Create(keys, b => b.SetApplicationName("Netlab")).CreateProtector("cookie").Protect("signed in");
        Assert.NotEmpty(keys.GetFiles("*.xml"));

        await using (var factory = new NetlabFactory(data))
        {
            var now = factory.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("cookie");
            Assert.Equal("signed in", now.Unprotect(before));
        }

        // The key is in the database now: without the files, a restarted portal still reads it.
        keys.Delete(recursive: true);
        await using var restarted = new NetlabFactory(data);
        Assert.Equal("signed in", restarted.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("cookie").Unprotect(before));
    }
}
