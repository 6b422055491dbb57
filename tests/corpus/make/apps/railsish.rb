# A small order API on Ruby's stdlib (TCPServer + Logger) that logs like a Rails app:
# Ruby Logger's default format, a request-id tag, Started / Processing by / Parameters /
# Completed lines, and on an exception the class, message and backtrace.
require "socket"
require "logger"
require "json"
require "securerandom"

$stdout.sync = true
LOG = Logger.new($stdout)
MODE = ENV.fetch("APP_MODE", "good")
VERSION = ENV.fetch("APP_VERSION", "5.1.0")

Order = Struct.new(:id, :customer, :lines)
Customer = Struct.new(:name, :discount)

class OrderRepository
  def initialize
    @orders = (1..400).map do |i|
      customer = (MODE == "bad" && i % 4 == 0) ? nil : Customer.new("c#{i % 37}", (i % 5) * 0.01)
      Order.new(i, customer, [[i % 9 + 1, 4.5]])
    end
  end

  def find(id)
    @orders.fetch(id - 1)
  end
end

class OrdersController
  def initialize(repo)
    @repo = repo
  end

  def show(id)
    order = @repo.find(id)
    subtotal = order.lines.sum { |qty, price| qty * price }
    # canary 5.2: the discount moved to the customer, which guest orders do not have
    total = MODE == "bad" ? subtotal * (1 - order.customer.discount) : subtotal
    { id: order.id, total: total.round(2) }
  end
end

REPO = OrderRepository.new
CONTROLLER = OrdersController.new(REPO)

def respond(client, status, reason, body)
  client.write("HTTP/1.1 #{status} #{reason}\r\nContent-Type: application/json\r\n" \
               "Content-Length: #{body.bytesize}\r\nConnection: close\r\n\r\n#{body}")
end

def handle(client)
  line = client.gets
  return if line.nil?
  while (header = client.gets) && header != "\r\n"; end
  verb, path, = line.split(" ")
  tag = "[#{SecureRandom.uuid}]"
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  LOG.info("#{tag} Started #{verb} \"#{path}\" for 127.0.0.1 at #{Time.now.strftime('%Y-%m-%d %H:%M:%S %z')}")
  if path =~ %r{\A/orders/(\d+)\z}
    LOG.info("#{tag} Processing by OrdersController#show as JSON")
    LOG.info("#{tag}   Parameters: {\"id\"=>\"#{$1}\"}")
    begin
      body = JSON.generate(CONTROLLER.show($1.to_i))
      ms = ((Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * 1000).round
      respond(client, 200, "OK", body)
      LOG.info("#{tag} Completed 200 OK in #{ms}ms (Views: 0.2ms | ActiveRecord: 0.0ms | Allocations: #{300 + rand(200)})")
    rescue StandardError => e
      ms = ((Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * 1000).round
      respond(client, 500, "Internal Server Error", '{"error":"internal"}')
      LOG.info("#{tag} Completed 500 Internal Server Error in #{ms}ms (ActiveRecord: 0.0ms | Allocations: 210)")
      LOG.fatal("#{tag}   \n#{tag} #{e.class} (#{e.message}):\n#{tag}   \n" +
                e.backtrace.first(6).map { |frame| "#{tag} #{frame}" }.join("\n"))
    end
  elsif path == "/up"
    respond(client, 200, "OK", '{"status":"up"}')
    LOG.info("#{tag} Completed 200 OK in 0ms")
  else
    respond(client, 404, "Not Found", '{"error":"not found"}')
    LOG.fatal("#{tag}   \n#{tag} ActionController::RoutingError (No route matches [#{verb}] \"#{path}\"):")
  end
ensure
  client.close
end

server = TCPServer.new("127.0.0.1", Integer(ARGV[0]))
LOG.info("Puma-like server starting in single mode... * Version #{VERSION}, Ruby #{RUBY_VERSION}")
LOG.info("* Listening on http://127.0.0.1:#{ARGV[0]}")
Signal.trap("TERM") do
  puts "- Gracefully stopping, waiting for requests to finish"
  puts "=== puma shutdown: #{Time.now.strftime('%Y-%m-%d %H:%M:%S %z')} ==="
  exit(0)
end
loop do
  client = server.accept
  Thread.new(client) { |c| handle(c) }
end
