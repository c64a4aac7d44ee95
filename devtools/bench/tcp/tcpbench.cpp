// tcpbench — the TCP load and the TCP backend of devtools/bench (MeshDev.Bench --only tcp), compiled by the bench with
// g++ -O2. Neither is MeshDev code under test: the same client and backend are used directly, through the mesh's
// protocol: tcp port and through nginx's stream proxy, so only the proxy in between differs.
//
//   tcpbench echo PORT                  echo server on 127.0.0.1:PORT, a thread per connection (prints "listening")
//   tcpbench pingpong PORT CONNS SECS SIZE
//                                      CONNS connections, each a loop of "write SIZE bytes, read SIZE bytes back" for
//                                      SECS seconds; prints "round_trips N rate R p50_us X p99_us Y errors E"
//   tcpbench bulk PORT BYTES           one connection: writes BYTES (then half-closes) while reading them back;
//                                      prints "bytes N seconds S mib_per_s R"
#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using Clock = std::chrono::steady_clock;

static sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address = loopback(port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

static bool read_exactly(int fd, char* buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = read(fd, buffer + done, size - done);
        if (n <= 0) return false;
        done += n;
    }
    return true;
}

static bool write_all(int fd, const char* buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, buffer + done, size - done);
        if (n <= 0) return false;
        done += n;
    }
    return true;
}

static int echo(int port) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address = loopback(port);
    if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, 512) != 0) {
        perror("listen");
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", port);
    fflush(stdout);
    while (true) {
        int fd = accept(listener, nullptr, nullptr);
        if (fd < 0) continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::thread([fd] {
            std::vector<char> buffer(64 * 1024);
            ssize_t n;
            while ((n = read(fd, buffer.data(), buffer.size())) > 0) {
                if (!write_all(fd, buffer.data(), n)) break;
            }
            close(fd);
        }).detach();
    }
}

static int pingpong(int port, int connections, double seconds, size_t size) {
    std::atomic<bool> stop{false};
    std::atomic<long> errors{0};
    std::vector<std::vector<float>> latencies(connections);
    std::vector<std::thread> threads;
    auto started = Clock::now();
    for (int c = 0; c < connections; c++) {
        threads.emplace_back([&, c] {
            int fd = connect_to(port);
            std::vector<char> out(size, 'x'), in(size);
            auto& mine = latencies[c];
            mine.reserve(1 << 20);
            while (!stop.load(std::memory_order_relaxed)) {
                auto before = Clock::now();
                if (!write_all(fd, out.data(), size) || !read_exactly(fd, in.data(), size)) {
                    errors++;
                    break;
                }
                mine.push_back(std::chrono::duration<float, std::micro>(Clock::now() - before).count());
            }
            close(fd);
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : threads) t.join();
    double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    std::vector<float> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    auto at = [&](double q) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(q * all.size()))]; };
    printf("round_trips %zu rate %.1f p50_us %.1f p99_us %.1f errors %ld\n", all.size(), all.size() / elapsed, at(0.5), at(0.99), errors.load());
    return 0;
}

static int bulk(int port, long long bytes) {
    int fd = connect_to(port);
    auto started = Clock::now();
    std::thread writer([&] {
        std::vector<char> out(256 * 1024, 'y');
        long long left = bytes;
        while (left > 0) {
            size_t chunk = std::min<long long>(left, out.size());
            if (!write_all(fd, out.data(), chunk)) break;
            left -= chunk;
        }
        shutdown(fd, SHUT_WR);
    });
    std::vector<char> in(256 * 1024);
    long long received = 0;
    ssize_t n;
    while (received < bytes && (n = read(fd, in.data(), in.size())) > 0) received += n;
    writer.join();
    double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    close(fd);
    printf("bytes %lld seconds %.3f mib_per_s %.1f\n", received, elapsed, received / elapsed / (1024.0 * 1024.0));
    return received == bytes ? 0 : 1;
}

int main(int argc, char** argv) {
    if (argc == 3 && strcmp(argv[1], "echo") == 0) return echo(atoi(argv[2]));
    if (argc == 6 && strcmp(argv[1], "pingpong") == 0) return pingpong(atoi(argv[2]), atoi(argv[3]), atof(argv[4]), atol(argv[5]));
    if (argc == 4 && strcmp(argv[1], "bulk") == 0) return bulk(atoi(argv[2]), atoll(argv[3]));
    fprintf(stderr, "usage: tcpbench echo PORT | pingpong PORT CONNS SECS SIZE | bulk PORT BYTES\n");
    return 2;
}
