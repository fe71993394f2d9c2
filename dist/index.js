import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 785:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
// This is an empty module that is served up when outside of a workerd environment
// See the `exports` field in package.json
exports["default"] = {};
//# sourceMappingURL=empty.js.map

/***/ }),

/***/ 6122:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



//Parse method copied from https://github.com/brianc/node-postgres
//Copyright (c) 2010-2014 Brian Carlson (brian.m.carlson@gmail.com)
//MIT License

//parses a connection string
function parse(str, options = {}) {
  //unix socket
  if (str.charAt(0) === '/') {
    const config = str.split(' ')
    return { host: config[0], database: config[1] }
  }

  // Check for empty host in URL

  const config = Object.create(null)
  let result
  let dummyHost = false
  if (/ |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(str)) {
    // Ensure spaces are encoded as %20
    str = encodeURI(str).replace(/%25(\d\d)/g, '%$1')
  }

  try {
    try {
      result = new URL(str, 'postgres://base')
    } catch (e) {
      // The URL is invalid so try again with a dummy host
      result = new URL(str.replace('@/', '@___DUMMY___/'), 'postgres://base')
      dummyHost = true
    }
  } catch (err) {
    // Remove the input from the error message to avoid leaking sensitive information
    err.input && (err.input = '*****REDACTED*****')
    throw err
  }

  // We'd like to use Object.fromEntries() here but Node.js 10 does not support it
  for (const entry of result.searchParams.entries()) {
    config[entry[0]] = entry[1]
  }

  config.user = config.user || decodeURIComponent(result.username)
  config.password = config.password || decodeURIComponent(result.password)

  if (result.protocol == 'socket:') {
    config.host = decodeURI(result.pathname)
    config.database = result.searchParams.get('db')
    config.client_encoding = result.searchParams.get('encoding')
    return config
  }
  const hostname = (dummyHost ? '' : result.hostname).replace(/^\[(.+)\]$/, '$1')
  if (!config.host) {
    // Only set the host if there is no equivalent query param.
    config.host = decodeURIComponent(hostname)
  } else if (hostname && /^%2f/i.test(hostname)) {
    // Only prepend the hostname to the pathname if it is not a URL encoded Unix socket host.
    result.pathname = hostname + result.pathname
  }
  if (!config.port) {
    // Only set the port if there is no equivalent query param.
    config.port = result.port
  }

  const pathname = result.pathname.slice(1) || null
  config.database = pathname ? decodeURI(pathname) : null

  if (config.ssl === 'true' || config.ssl === '1') {
    config.ssl = true
  }

  if (config.ssl === '0') {
    config.ssl = false
  }

  if (config.sslcert || config.sslkey || config.sslrootcert || config.sslmode) {
    config.ssl = {}
  }

  // sslnegotiation=direct implies SSL is in use (libpq requires sslmode>=require),
  // so enable SSL if the connection string did not otherwise configure it.
  if (config.sslnegotiation === 'direct' && config.ssl === undefined) {
    config.ssl = true
  }

  // Only try to load fs if we expect to read from the disk
  const fs = config.sslcert || config.sslkey || config.sslrootcert ? __nccwpck_require__(9896) : null

  if (config.sslcert) {
    config.ssl.cert = fs.readFileSync(config.sslcert).toString()
  }

  if (config.sslkey) {
    config.ssl.key = fs.readFileSync(config.sslkey).toString()
  }

  if (config.sslrootcert) {
    config.ssl.ca = fs.readFileSync(config.sslrootcert).toString()
  }

  if (options.useLibpqCompat && config.uselibpqcompat) {
    throw new Error('Both useLibpqCompat and uselibpqcompat are set. Please use only one of them.')
  }

  if (config.uselibpqcompat === 'true' || options.useLibpqCompat) {
    switch (config.sslmode) {
      case 'disable': {
        config.ssl = false
        break
      }
      case 'prefer': {
        config.ssl.rejectUnauthorized = false
        break
      }
      case 'require': {
        if (config.sslrootcert) {
          // If a root CA is specified, behavior of `sslmode=require` will be the same as that of `verify-ca`
          config.ssl.checkServerIdentity = function () {}
        } else {
          config.ssl.rejectUnauthorized = false
        }
        break
      }
      case 'verify-ca': {
        if (!config.ssl.ca) {
          throw new Error(
            'SECURITY WARNING: Using sslmode=verify-ca requires specifying a CA with sslrootcert. If a public CA is used, verify-ca allows connections to a server that somebody else may have registered with the CA, making you vulnerable to Man-in-the-Middle attacks. Either specify a custom CA certificate with sslrootcert parameter or use sslmode=verify-full for proper security.'
          )
        }
        config.ssl.checkServerIdentity = function () {}
        break
      }
      case 'verify-full': {
        break
      }
    }
  } else {
    switch (config.sslmode) {
      case 'disable': {
        config.ssl = false
        break
      }
      case 'prefer':
      case 'require':
      case 'verify-ca':
      case 'verify-full': {
        if (config.sslmode !== 'verify-full') {
          deprecatedSslModeWarning(config.sslmode)
        }
        break
      }
      case 'no-verify': {
        config.ssl.rejectUnauthorized = false
        break
      }
    }
  }

  return config
}

// convert pg-connection-string ssl config to a ClientConfig.ConnectionOptions
function toConnectionOptions(sslConfig) {
  const connectionOptions = Object.entries(sslConfig).reduce((c, [key, value]) => {
    // we explicitly check for undefined and null instead of `if (value)` because some
    // options accept falsy values. Example: `ssl.rejectUnauthorized = false`
    if (value !== undefined && value !== null) {
      c[key] = value
    }

    return c
  }, Object.create(null))

  return connectionOptions
}

// convert pg-connection-string config to a ClientConfig
function toClientConfig(config) {
  const poolConfig = Object.entries(config).reduce((c, [key, value]) => {
    if (key === 'ssl') {
      const sslConfig = value

      if (typeof sslConfig === 'boolean') {
        c[key] = sslConfig
      }

      if (typeof sslConfig === 'object') {
        c[key] = toConnectionOptions(sslConfig)
      }
    } else if (value !== undefined && value !== null) {
      if (key === 'port') {
        // when port is not specified, it is converted into an empty string
        // we want to avoid NaN or empty string as a values in ClientConfig
        if (value !== '') {
          const v = parseInt(value, 10)
          if (isNaN(v)) {
            throw new Error(`Invalid ${key}: ${value}`)
          }

          c[key] = v
        }
      } else {
        c[key] = value
      }
    }

    return c
  }, Object.create(null))

  return poolConfig
}

// parses a connection string into ClientConfig
function parseIntoClientConfig(str) {
  return toClientConfig(parse(str))
}

function deprecatedSslModeWarning(sslmode) {
  if (!deprecatedSslModeWarning.warned && typeof process !== 'undefined' && process.emitWarning) {
    deprecatedSslModeWarning.warned = true
    process.emitWarning(`SECURITY WARNING: The SSL modes 'prefer', 'require', and 'verify-ca' are treated as aliases for 'verify-full'.
In the next major version (pg-connection-string v3.0.0 and pg v9.0.0), these modes will adopt standard libpq semantics, which have weaker security guarantees.

To prepare for this change:
- If you want the current behavior, explicitly use 'sslmode=verify-full'
- If you want libpq compatibility now, use 'uselibpqcompat=true&sslmode=${sslmode}'

See https://www.postgresql.org/docs/current/libpq-ssl.html for libpq SSL mode definitions.`)
  }
}

module.exports = parse

parse.parse = parse
parse.toClientConfig = toClientConfig
parse.parseIntoClientConfig = parseIntoClientConfig


/***/ }),

/***/ 2299:
/***/ ((module) => {



// selected so (BASE - 1) * 0x100000000 + 0xffffffff is a safe integer
var BASE = 1000000;

function readInt8(buffer) {
	var high = buffer.readInt32BE(0);
	var low = buffer.readUInt32BE(4);
	var sign = '';

	if (high < 0) {
		high = ~high + (low === 0);
		low = (~low + 1) >>> 0;
		sign = '-';
	}

	var result = '';
	var carry;
	var t;
	var digits;
	var pad;
	var l;
	var i;

	{
		carry = high % BASE;
		high = high / BASE >>> 0;

		t = 0x100000000 * carry + low;
		low = t / BASE >>> 0;
		digits = '' + (t - BASE * low);

		if (low === 0 && high === 0) {
			return sign + digits + result;
		}

		pad = '';
		l = 6 - digits.length;

		for (i = 0; i < l; i++) {
			pad += '0';
		}

		result = pad + digits + result;
	}

	{
		carry = high % BASE;
		high = high / BASE >>> 0;

		t = 0x100000000 * carry + low;
		low = t / BASE >>> 0;
		digits = '' + (t - BASE * low);

		if (low === 0 && high === 0) {
			return sign + digits + result;
		}

		pad = '';
		l = 6 - digits.length;

		for (i = 0; i < l; i++) {
			pad += '0';
		}

		result = pad + digits + result;
	}

	{
		carry = high % BASE;
		high = high / BASE >>> 0;

		t = 0x100000000 * carry + low;
		low = t / BASE >>> 0;
		digits = '' + (t - BASE * low);

		if (low === 0 && high === 0) {
			return sign + digits + result;
		}

		pad = '';
		l = 6 - digits.length;

		for (i = 0; i < l; i++) {
			pad += '0';
		}

		result = pad + digits + result;
	}

	{
		carry = high % BASE;
		t = 0x100000000 * carry + low;
		digits = '' + t % BASE;

		return sign + digits + result;
	}
}

module.exports = readInt8;


/***/ }),

/***/ 7558:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {


const EventEmitter = (__nccwpck_require__(4434).EventEmitter)

const NOOP = function () {}

const removeWhere = (list, predicate) => {
  const i = list.findIndex(predicate)

  return i === -1 ? undefined : list.splice(i, 1)[0]
}

class IdleItem {
  constructor(client, idleListener, timeoutId) {
    this.client = client
    this.idleListener = idleListener
    this.timeoutId = timeoutId
  }
}

class PendingItem {
  constructor(callback) {
    this.callback = callback
  }
}

function throwOnDoubleRelease() {
  throw new Error('Release called on client which has already been released to the pool.')
}

function promisify(Promise, callback) {
  if (callback) {
    return { callback: callback, result: undefined }
  }
  let rej
  let res
  const cb = function (err, client) {
    err ? rej(err) : res(client)
  }
  const result = new Promise(function (resolve, reject) {
    res = resolve
    rej = reject
  }).catch((err) => {
    // replace the stack trace that leads to `TCP.onStreamRead` with one that leads back to the
    // application that created the query
    Error.captureStackTrace(err)
    throw err
  })
  return { callback: cb, result: result }
}

function makeIdleListener(pool, client) {
  return function idleListener(err) {
    err.client = client

    client.removeListener('error', idleListener)
    client.on('error', () => {
      pool.log('additional client error after disconnection due to error', err)
    })
    pool._remove(client)
    // TODO - document that once the pool emits an error
    // the client has already been closed & purged and is unusable
    pool.emit('error', err, client)
  }
}

class Pool extends EventEmitter {
  constructor(options, Client) {
    super()
    this.options = Object.assign({}, options)

    if (options != null && 'password' in options) {
      // "hiding" the password so it doesn't show up in stack traces
      // or if the client is console.logged
      Object.defineProperty(this.options, 'password', {
        configurable: true,
        enumerable: false,
        writable: true,
        value: options.password,
      })
    }
    if (options != null && options.ssl && options.ssl.key) {
      // "hiding" the ssl->key so it doesn't show up in stack traces
      // or if the client is console.logged
      Object.defineProperty(this.options.ssl, 'key', {
        enumerable: false,
      })
    }

    this.options.max = this.options.max || this.options.poolSize || 10
    this.options.min = this.options.min || 0
    this.options.maxUses = this.options.maxUses || Infinity
    this.options.allowExitOnIdle = this.options.allowExitOnIdle || false
    this.options.maxLifetimeSeconds = this.options.maxLifetimeSeconds || 0
    this.log = this.options.log || function () {}
    this.Client = this.options.Client || Client || (__nccwpck_require__(3273).Client)
    this.Promise = this.options.Promise || global.Promise

    if (typeof this.options.idleTimeoutMillis === 'undefined') {
      this.options.idleTimeoutMillis = 10000
    }

    this._clients = []
    this._idle = []
    this._expired = new WeakSet()
    this._pendingQueue = []
    this._endCallback = undefined
    this.ending = false
    this.ended = false
  }

  _promiseTry(f) {
    const Promise = this.Promise
    if (typeof Promise.try === 'function') {
      return Promise.try(f)
    }
    return new Promise((resolve) => resolve(f()))
  }

  _isFull() {
    return this._clients.length >= this.options.max
  }

  _isAboveMin() {
    return this._clients.length > this.options.min
  }

  _pulseQueue() {
    this.log('pulse queue')
    if (this.ended) {
      this.log('pulse queue ended')
      return
    }
    if (this.ending) {
      this.log('pulse queue on ending')
      if (this._idle.length) {
        this._idle.slice().map((item) => {
          this._remove(item.client)
        })
      }
      if (!this._clients.length) {
        this.ended = true
        this._endCallback()
      }
      return
    }

    // if we don't have any waiting, do nothing
    if (!this._pendingQueue.length) {
      this.log('no queued requests')
      return
    }
    // if we don't have any idle clients and we have no more room do nothing
    if (!this._idle.length && this._isFull()) {
      return
    }
    const pendingItem = this._pendingQueue.shift()
    if (this._idle.length) {
      const idleItem = this._idle.pop()
      clearTimeout(idleItem.timeoutId)
      const client = idleItem.client
      client.ref && client.ref()
      const idleListener = idleItem.idleListener

      return this._acquireClient(client, pendingItem, idleListener, false)
    }
    if (!this._isFull()) {
      return this.newClient(pendingItem)
    }
    throw new Error('unexpected condition')
  }

  _remove(client, callback) {
    const removed = removeWhere(this._idle, (item) => item.client === client)

    if (removed !== undefined) {
      clearTimeout(removed.timeoutId)
    }

    this._clients = this._clients.filter((c) => c !== client)
    const context = this
    client.end(() => {
      context.emit('remove', client)

      if (typeof callback === 'function') {
        callback()
      }
    })
  }

  connect(cb) {
    if (this.ending) {
      const err = new Error('Cannot use a pool after calling end on the pool')
      return cb ? cb(err) : this.Promise.reject(err)
    }

    const response = promisify(this.Promise, cb)
    const result = response.result

    // if we don't have to connect a new client, don't do so
    if (this._isFull() || this._idle.length) {
      // if we have idle clients schedule a pulse immediately
      if (this._idle.length) {
        process.nextTick(() => this._pulseQueue())
      }

      if (!this.options.connectionTimeoutMillis) {
        this._pendingQueue.push(new PendingItem(response.callback))
        return result
      }

      const queueCallback = (err, res, done) => {
        clearTimeout(tid)
        response.callback(err, res, done)
      }

      const pendingItem = new PendingItem(queueCallback)

      // set connection timeout on checking out an existing client
      const tid = setTimeout(() => {
        // remove the callback from pending waiters because
        // we're going to call it with a timeout error
        removeWhere(this._pendingQueue, (i) => i.callback === queueCallback)
        pendingItem.timedOut = true
        response.callback(new Error('timeout exceeded when trying to connect'))
      }, this.options.connectionTimeoutMillis)

      if (tid.unref) {
        tid.unref()
      }

      this._pendingQueue.push(pendingItem)
      return result
    }

    this.newClient(new PendingItem(response.callback))

    return result
  }

  newClient(pendingItem) {
    const client = new this.Client(this.options)
    this._clients.push(client)
    const idleListener = makeIdleListener(this, client)

    this.log('checking client timeout')

    // connection timeout logic
    let tid
    let timeoutHit = false
    if (this.options.connectionTimeoutMillis) {
      tid = setTimeout(() => {
        if (client.connection) {
          this.log('ending client due to timeout')
          timeoutHit = true
          client.connection.stream.destroy()
        } else if (!client.isConnected()) {
          this.log('ending client due to timeout')
          timeoutHit = true
          // force kill the node driver, and let libpq do its teardown
          client.end()
        }
      }, this.options.connectionTimeoutMillis)
    }

    this.log('connecting new client')
    client.connect((err) => {
      if (tid) {
        clearTimeout(tid)
      }
      client.on('error', idleListener)
      if (err) {
        this.log('client failed to connect', err)
        // remove the dead client from our list of clients
        this._clients = this._clients.filter((c) => c !== client)
        if (timeoutHit) {
          err = new Error('Connection terminated due to connection timeout', { cause: err })
        }

        // this client won’t be released, so move on immediately
        this._pulseQueue()

        if (!pendingItem.timedOut) {
          pendingItem.callback(err, undefined, NOOP)
        }
      } else {
        this.log('new client connected')

        if (this.options.onConnect) {
          this._promiseTry(() => this.options.onConnect(client)).then(
            () => {
              this._afterConnect(client, pendingItem, idleListener)
            },
            (hookErr) => {
              this._clients = this._clients.filter((c) => c !== client)
              client.end(() => {
                this._pulseQueue()
                if (!pendingItem.timedOut) {
                  pendingItem.callback(hookErr, undefined, NOOP)
                }
              })
            }
          )
          return
        }

        return this._afterConnect(client, pendingItem, idleListener)
      }
    })
  }

  _afterConnect(client, pendingItem, idleListener) {
    if (this.options.maxLifetimeSeconds !== 0) {
      const maxLifetimeTimeout = setTimeout(() => {
        this.log('ending client due to expired lifetime')
        this._expired.add(client)
        const idleIndex = this._idle.findIndex((idleItem) => idleItem.client === client)
        if (idleIndex !== -1) {
          this._acquireClient(
            client,
            new PendingItem((err, client, clientRelease) => clientRelease()),
            idleListener,
            false
          )
        }
      }, this.options.maxLifetimeSeconds * 1000)

      maxLifetimeTimeout.unref()
      client.once('end', () => clearTimeout(maxLifetimeTimeout))
    }

    return this._acquireClient(client, pendingItem, idleListener, true)
  }

  // acquire a client for a pending work item
  _acquireClient(client, pendingItem, idleListener, isNew) {
    if (isNew) {
      this.emit('connect', client)
    }

    this.emit('acquire', client)

    client.release = this._releaseOnce(client, idleListener)

    client.removeListener('error', idleListener)

    if (!pendingItem.timedOut) {
      if (isNew && this.options.verify) {
        this.options.verify(client, (err) => {
          if (err) {
            client.release(err)
            return pendingItem.callback(err, undefined, NOOP)
          }

          pendingItem.callback(undefined, client, client.release)
        })
      } else {
        pendingItem.callback(undefined, client, client.release)
      }
    } else {
      if (isNew && this.options.verify) {
        this.options.verify(client, client.release)
      } else {
        client.release()
      }
    }
  }

  // returns a function that wraps _release and throws if called more than once
  _releaseOnce(client, idleListener) {
    let released = false

    return (err) => {
      if (released) {
        throwOnDoubleRelease()
      }

      released = true
      this._release(client, idleListener, err)
    }
  }

  // release a client back to the poll, include an error
  // to remove it from the pool
  _release(client, idleListener, err) {
    client.on('error', idleListener)

    client._poolUseCount = (client._poolUseCount || 0) + 1

    this.emit('release', err, client)

    // TODO(bmc): expose a proper, public interface _queryable and _ending
    if (err || this.ending || !client._queryable || client._ending || client._poolUseCount >= this.options.maxUses) {
      if (client._poolUseCount >= this.options.maxUses) {
        this.log('remove expended client')
      }

      return this._remove(client, this._pulseQueue.bind(this))
    }

    const isExpired = this._expired.has(client)
    if (isExpired) {
      this.log('remove expired client')
      this._expired.delete(client)
      return this._remove(client, this._pulseQueue.bind(this))
    }

    // idle timeout
    let tid
    if (this.options.idleTimeoutMillis && this._isAboveMin()) {
      tid = setTimeout(() => {
        if (this._isAboveMin()) {
          this.log('remove idle client')
          this._remove(client, this._pulseQueue.bind(this))
        }
      }, this.options.idleTimeoutMillis)

      if (this.options.allowExitOnIdle) {
        // allow Node to exit if this is all that's left
        tid.unref()
      }
    }

    if (this.options.allowExitOnIdle) {
      client.unref()
    }

    this._idle.push(new IdleItem(client, idleListener, tid))
    this._pulseQueue()
  }

  query(text, values, cb) {
    // guard clause against passing a function as the first parameter
    if (typeof text === 'function') {
      const response = promisify(this.Promise, text)
      setImmediate(function () {
        return response.callback(new Error('Passing a function as the first parameter to pool.query is not supported'))
      })
      return response.result
    }

    // allow plain text query without values, but callback
    if (typeof values === 'function') {
      cb = values
      values = undefined
    }
    const response = promisify(this.Promise, cb)
    cb = response.callback

    this.connect((err, client) => {
      if (err) {
        return cb(err)
      }

      let clientReleased = false
      const onError = (err) => {
        if (clientReleased) {
          return
        }
        clientReleased = true
        client.release(err)
        cb(err)
      }

      client.once('error', onError)
      this.log('dispatching query')
      try {
        client.query(text, values, (err, res) => {
          this.log('query dispatched')
          client.removeListener('error', onError)
          if (clientReleased) {
            return
          }
          clientReleased = true
          client.release(err)
          if (err) {
            return cb(err)
          }
          return cb(undefined, res)
        })
      } catch (err) {
        client.release(err)
        return cb(err)
      }
    })
    return response.result
  }

  end(cb) {
    this.log('ending')
    if (this.ending) {
      const err = new Error('Called end on pool more than once')
      return cb ? cb(err) : this.Promise.reject(err)
    }
    this.ending = true
    const promised = promisify(this.Promise, cb)
    this._endCallback = promised.callback
    this._pulseQueue()
    return promised.result
  }

  get waitingCount() {
    return this._pendingQueue.length
  }

  get idleCount() {
    return this._idle.length
  }

  get expiredCount() {
    return this._clients.reduce((acc, client) => acc + (this._expired.has(client) ? 1 : 0), 0)
  }

  get totalCount() {
    return this._clients.length
  }
}
module.exports = Pool


/***/ }),

/***/ 9971:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.BufferReader = void 0;
class BufferReader {
    constructor(offset = 0) {
        this.offset = offset;
        this.buffer = Buffer.allocUnsafe(0);
        // TODO(bmc): support non-utf8 encoding?
        this.encoding = 'utf-8';
    }
    setBuffer(offset, buffer) {
        this.offset = offset;
        this.buffer = buffer;
    }
    int16() {
        const result = this.buffer.readInt16BE(this.offset);
        this.offset += 2;
        return result;
    }
    byte() {
        const result = this.buffer[this.offset];
        this.offset++;
        return result;
    }
    int32() {
        const result = this.buffer.readInt32BE(this.offset);
        this.offset += 4;
        return result;
    }
    uint32() {
        const result = this.buffer.readUInt32BE(this.offset);
        this.offset += 4;
        return result;
    }
    string(length) {
        const result = this.buffer.toString(this.encoding, this.offset, this.offset + length);
        this.offset += length;
        return result;
    }
    cstring() {
        const start = this.offset;
        let end = start;
        // eslint-disable-next-line no-empty
        while (this.buffer[end++]) { }
        this.offset = end;
        return this.buffer.toString(this.encoding, start, end - 1);
    }
    bytes(length) {
        const result = this.buffer.slice(this.offset, this.offset + length);
        this.offset += length;
        return result;
    }
}
exports.BufferReader = BufferReader;
//# sourceMappingURL=buffer-reader.js.map

/***/ }),

/***/ 9315:
/***/ ((__unused_webpack_module, exports) => {


//binary data writer tuned for encoding binary specific to the postgres binary protocol
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.Writer = void 0;
class Writer {
    constructor(size = 256) {
        this.size = size;
        this.offset = 5;
        this.headerPosition = 0;
        this.buffer = Buffer.allocUnsafe(size);
    }
    ensure(size) {
        const remaining = this.buffer.length - this.offset;
        if (remaining < size) {
            const oldBuffer = this.buffer;
            // exponential growth factor of around ~ 1.5
            // https://stackoverflow.com/questions/2269063/buffer-growth-strategy
            const newSize = oldBuffer.length + (oldBuffer.length >> 1) + size;
            this.buffer = Buffer.allocUnsafe(newSize);
            oldBuffer.copy(this.buffer, 0, 0, this.offset);
        }
    }
    addInt32(num) {
        this.ensure(4);
        this.buffer[this.offset++] = (num >>> 24) & 0xff;
        this.buffer[this.offset++] = (num >>> 16) & 0xff;
        this.buffer[this.offset++] = (num >>> 8) & 0xff;
        this.buffer[this.offset++] = (num >>> 0) & 0xff;
        return this;
    }
    addInt16(num) {
        this.ensure(2);
        this.buffer[this.offset++] = (num >>> 8) & 0xff;
        this.buffer[this.offset++] = (num >>> 0) & 0xff;
        return this;
    }
    addCString(string) {
        if (!string) {
            this.ensure(1);
        }
        else {
            const len = Buffer.byteLength(string);
            this.ensure(len + 1); // +1 for null terminator
            this.buffer.write(string, this.offset, 'utf-8');
            this.offset += len;
        }
        this.buffer[this.offset++] = 0; // null terminator
        return this;
    }
    addString(string = '') {
        const len = Buffer.byteLength(string);
        this.ensure(len);
        this.buffer.write(string, this.offset);
        this.offset += len;
        return this;
    }
    // Write an Int32 byte-length prefix immediately followed by the string's UTF-8
    // bytes. Postgres' Bind wire format prefixes every parameter with its length,
    // and doing it in one method computes Buffer.byteLength ONCE — the previous
    // `addInt32(Buffer.byteLength(s)).addString(s)` pairing scanned the string
    // three times (byteLength for the prefix, byteLength again inside addString,
    // then the encode), which is costly for large text parameters.
    addInt32PrefixedString(string) {
        const len = Buffer.byteLength(string);
        this.ensure(4 + len);
        const buffer = this.buffer;
        let offset = this.offset;
        buffer[offset++] = (len >>> 24) & 0xff;
        buffer[offset++] = (len >>> 16) & 0xff;
        buffer[offset++] = (len >>> 8) & 0xff;
        buffer[offset++] = (len >>> 0) & 0xff;
        buffer.write(string, offset, 'utf-8');
        this.offset = offset + len;
        return this;
    }
    add(otherBuffer) {
        this.ensure(otherBuffer.length);
        otherBuffer.copy(this.buffer, this.offset);
        this.offset += otherBuffer.length;
        return this;
    }
    /**
     * Appends an uninitialized block of {@link size} bytes to the buffer and returns its offset.
     */
    reserveUnsafe(size) {
        const offset = this.offset;
        this.ensure(size);
        this.offset += size;
        return offset;
    }
    join(code) {
        if (code) {
            this.buffer[this.headerPosition] = code;
            //length is everything in this packet minus the code
            const length = this.offset - (this.headerPosition + 1);
            this.buffer.writeInt32BE(length, this.headerPosition + 1);
        }
        return this.buffer.slice(code ? 0 : 5, this.offset);
    }
    flush(code) {
        const result = this.join(code);
        this.offset = 5;
        this.headerPosition = 0;
        this.buffer = Buffer.allocUnsafe(this.size);
        return result;
    }
    clear() {
        this.offset = 5;
        this.headerPosition = 0;
    }
}
exports.Writer = Writer;
//# sourceMappingURL=buffer-writer.js.map

/***/ }),

/***/ 4233:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.DatabaseError = exports.serialize = void 0;
exports.parse = parse;
const messages_1 = __nccwpck_require__(5809);
Object.defineProperty(exports, "DatabaseError", ({ enumerable: true, get: function () { return messages_1.DatabaseError; } }));
const serializer_1 = __nccwpck_require__(6513);
Object.defineProperty(exports, "serialize", ({ enumerable: true, get: function () { return serializer_1.serialize; } }));
const parser_1 = __nccwpck_require__(3318);
function parse(stream, callback) {
    const parser = new parser_1.Parser();
    stream.on('data', (buffer) => parser.parse(buffer, callback));
    return new Promise((resolve) => stream.on('end', () => resolve()));
}
//# sourceMappingURL=index.js.map

/***/ }),

/***/ 5809:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.NoticeMessage = exports.DataRowMessage = exports.CommandCompleteMessage = exports.ReadyForQueryMessage = exports.NotificationResponseMessage = exports.BackendKeyDataMessage = exports.AuthenticationMD5Password = exports.ParameterStatusMessage = exports.ParameterDescriptionMessage = exports.RowDescriptionMessage = exports.Field = exports.CopyResponse = exports.CopyDataMessage = exports.DatabaseError = exports.copyDone = exports.emptyQuery = exports.replicationStart = exports.portalSuspended = exports.noData = exports.closeComplete = exports.bindComplete = exports.parseComplete = void 0;
exports.parseComplete = {
    name: 'parseComplete',
    length: 5,
};
exports.bindComplete = {
    name: 'bindComplete',
    length: 5,
};
exports.closeComplete = {
    name: 'closeComplete',
    length: 5,
};
exports.noData = {
    name: 'noData',
    length: 5,
};
exports.portalSuspended = {
    name: 'portalSuspended',
    length: 5,
};
exports.replicationStart = {
    name: 'replicationStart',
    length: 4,
};
exports.emptyQuery = {
    name: 'emptyQuery',
    length: 4,
};
exports.copyDone = {
    name: 'copyDone',
    length: 4,
};
class DatabaseError extends Error {
    constructor(message, length, name) {
        super(message);
        this.length = length;
        this.name = name;
    }
}
exports.DatabaseError = DatabaseError;
class CopyDataMessage {
    constructor(length, chunk) {
        this.length = length;
        this.chunk = chunk;
        this.name = 'copyData';
    }
}
exports.CopyDataMessage = CopyDataMessage;
class CopyResponse {
    constructor(length, name, binary, columnCount) {
        this.length = length;
        this.name = name;
        this.binary = binary;
        this.columnTypes = new Array(columnCount);
    }
}
exports.CopyResponse = CopyResponse;
class Field {
    constructor(name, tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier, format) {
        this.name = name;
        this.tableID = tableID;
        this.columnID = columnID;
        this.dataTypeID = dataTypeID;
        this.dataTypeSize = dataTypeSize;
        this.dataTypeModifier = dataTypeModifier;
        this.format = format;
    }
}
exports.Field = Field;
class RowDescriptionMessage {
    constructor(length, fieldCount) {
        this.length = length;
        this.fieldCount = fieldCount;
        this.name = 'rowDescription';
        this.fields = new Array(this.fieldCount);
    }
}
exports.RowDescriptionMessage = RowDescriptionMessage;
class ParameterDescriptionMessage {
    constructor(length, parameterCount) {
        this.length = length;
        this.parameterCount = parameterCount;
        this.name = 'parameterDescription';
        this.dataTypeIDs = new Array(this.parameterCount);
    }
}
exports.ParameterDescriptionMessage = ParameterDescriptionMessage;
class ParameterStatusMessage {
    constructor(length, parameterName, parameterValue) {
        this.length = length;
        this.parameterName = parameterName;
        this.parameterValue = parameterValue;
        this.name = 'parameterStatus';
    }
}
exports.ParameterStatusMessage = ParameterStatusMessage;
class AuthenticationMD5Password {
    constructor(length, salt) {
        this.length = length;
        this.salt = salt;
        this.name = 'authenticationMD5Password';
    }
}
exports.AuthenticationMD5Password = AuthenticationMD5Password;
class BackendKeyDataMessage {
    constructor(length, processID, secretKey) {
        this.length = length;
        this.processID = processID;
        this.secretKey = secretKey;
        this.name = 'backendKeyData';
    }
}
exports.BackendKeyDataMessage = BackendKeyDataMessage;
class NotificationResponseMessage {
    constructor(length, processId, channel, payload) {
        this.length = length;
        this.processId = processId;
        this.channel = channel;
        this.payload = payload;
        this.name = 'notification';
    }
}
exports.NotificationResponseMessage = NotificationResponseMessage;
class ReadyForQueryMessage {
    constructor(length, status) {
        this.length = length;
        this.status = status;
        this.name = 'readyForQuery';
    }
}
exports.ReadyForQueryMessage = ReadyForQueryMessage;
class CommandCompleteMessage {
    constructor(length, text) {
        this.length = length;
        this.text = text;
        this.name = 'commandComplete';
    }
}
exports.CommandCompleteMessage = CommandCompleteMessage;
class DataRowMessage {
    constructor(length, fields) {
        this.length = length;
        this.fields = fields;
        this.name = 'dataRow';
        this.fieldCount = fields.length;
    }
}
exports.DataRowMessage = DataRowMessage;
class NoticeMessage {
    constructor(length, message) {
        this.length = length;
        this.message = message;
        this.name = 'notice';
    }
}
exports.NoticeMessage = NoticeMessage;
//# sourceMappingURL=messages.js.map

/***/ }),

/***/ 3318:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.Parser = void 0;
const messages_1 = __nccwpck_require__(5809);
const buffer_reader_1 = __nccwpck_require__(9971);
// every message is prefixed with a single byte
const CODE_LENGTH = 1;
// every message has an int32 length which includes itself but does
// NOT include the code in the length
const LEN_LENGTH = 4;
const HEADER_LENGTH = CODE_LENGTH + LEN_LENGTH;
// A placeholder for a `BackendMessage`’s length value that will be set after construction.
const LATEINIT_LENGTH = -1;
const emptyBuffer = Buffer.allocUnsafe(0);
class Parser {
    constructor(opts) {
        this.buffer = emptyBuffer;
        this.bufferLength = 0;
        this.bufferOffset = 0;
        this.reader = new buffer_reader_1.BufferReader();
        if ((opts === null || opts === void 0 ? void 0 : opts.mode) === 'binary') {
            throw new Error('Binary mode not supported yet');
        }
        this.mode = (opts === null || opts === void 0 ? void 0 : opts.mode) || 'text';
    }
    parse(buffer, callback) {
        this.mergeBuffer(buffer);
        const bufferFullLength = this.bufferOffset + this.bufferLength;
        let offset = this.bufferOffset;
        while (offset + HEADER_LENGTH <= bufferFullLength) {
            // code is 1 byte long - it identifies the message type
            const code = this.buffer[offset];
            // length is 1 Uint32BE - it is the length of the message EXCLUDING the code
            const length = this.buffer.readUInt32BE(offset + CODE_LENGTH);
            const fullMessageLength = CODE_LENGTH + length;
            if (fullMessageLength + offset <= bufferFullLength) {
                const message = this.handlePacket(offset + HEADER_LENGTH, code, length, this.buffer);
                callback(message);
                offset += fullMessageLength;
            }
            else {
                break;
            }
        }
        if (offset === bufferFullLength) {
            // No more use for the buffer
            this.buffer = emptyBuffer;
            this.bufferLength = 0;
            this.bufferOffset = 0;
        }
        else {
            // Adjust the cursors of remainingBuffer
            this.bufferLength = bufferFullLength - offset;
            this.bufferOffset = offset;
        }
    }
    mergeBuffer(buffer) {
        if (this.bufferLength > 0) {
            const newLength = this.bufferLength + buffer.byteLength;
            const newFullLength = newLength + this.bufferOffset;
            if (newFullLength > this.buffer.byteLength) {
                // We can't concat the new buffer with the remaining one
                let newBuffer;
                if (newLength <= this.buffer.byteLength && this.bufferOffset >= this.bufferLength) {
                    // We can move the relevant part to the beginning of the buffer instead of allocating a new buffer
                    newBuffer = this.buffer;
                }
                else {
                    // Allocate a new larger buffer
                    let newBufferLength = this.buffer.byteLength * 2;
                    while (newLength >= newBufferLength) {
                        newBufferLength *= 2;
                    }
                    newBuffer = Buffer.allocUnsafe(newBufferLength);
                }
                // Move the remaining buffer to the new one
                this.buffer.copy(newBuffer, 0, this.bufferOffset, this.bufferOffset + this.bufferLength);
                this.buffer = newBuffer;
                this.bufferOffset = 0;
            }
            // Concat the new buffer with the remaining one
            buffer.copy(this.buffer, this.bufferOffset + this.bufferLength);
            this.bufferLength = newLength;
        }
        else {
            this.buffer = buffer;
            this.bufferOffset = 0;
            this.bufferLength = buffer.byteLength;
        }
    }
    handlePacket(offset, code, length, bytes) {
        const { reader } = this;
        // NOTE: This undesirably retains the buffer in `this.reader` if the `parse*Message` calls below throw. However, those should only throw in the case of a protocol error, which normally results in the reader being discarded.
        reader.setBuffer(offset, bytes);
        let message;
        switch (code) {
            case 50 /* MessageCodes.BindComplete */:
                message = messages_1.bindComplete;
                break;
            case 49 /* MessageCodes.ParseComplete */:
                message = messages_1.parseComplete;
                break;
            case 51 /* MessageCodes.CloseComplete */:
                message = messages_1.closeComplete;
                break;
            case 110 /* MessageCodes.NoData */:
                message = messages_1.noData;
                break;
            case 115 /* MessageCodes.PortalSuspended */:
                message = messages_1.portalSuspended;
                break;
            case 99 /* MessageCodes.CopyDone */:
                message = messages_1.copyDone;
                break;
            case 87 /* MessageCodes.ReplicationStart */:
                message = messages_1.replicationStart;
                break;
            case 73 /* MessageCodes.EmptyQuery */:
                message = messages_1.emptyQuery;
                break;
            case 68 /* MessageCodes.DataRow */:
                message = parseDataRowMessage(reader);
                break;
            case 67 /* MessageCodes.CommandComplete */:
                message = parseCommandCompleteMessage(reader);
                break;
            case 90 /* MessageCodes.ReadyForQuery */:
                message = parseReadyForQueryMessage(reader);
                break;
            case 65 /* MessageCodes.NotificationResponse */:
                message = parseNotificationMessage(reader);
                break;
            case 82 /* MessageCodes.AuthenticationResponse */:
                message = parseAuthenticationResponse(reader, length);
                break;
            case 83 /* MessageCodes.ParameterStatus */:
                message = parseParameterStatusMessage(reader);
                break;
            case 75 /* MessageCodes.BackendKeyData */:
                message = parseBackendKeyData(reader);
                break;
            case 69 /* MessageCodes.ErrorMessage */:
                message = parseErrorMessage(reader, 'error');
                break;
            case 78 /* MessageCodes.NoticeMessage */:
                message = parseErrorMessage(reader, 'notice');
                break;
            case 84 /* MessageCodes.RowDescriptionMessage */:
                message = parseRowDescriptionMessage(reader);
                break;
            case 116 /* MessageCodes.ParameterDescriptionMessage */:
                message = parseParameterDescriptionMessage(reader);
                break;
            case 71 /* MessageCodes.CopyIn */:
                message = parseCopyInMessage(reader);
                break;
            case 72 /* MessageCodes.CopyOut */:
                message = parseCopyOutMessage(reader);
                break;
            case 100 /* MessageCodes.CopyData */:
                message = parseCopyData(reader, length);
                break;
            default:
                return new messages_1.DatabaseError('received invalid response: ' + code.toString(16), length, 'error');
        }
        reader.setBuffer(0, emptyBuffer);
        message.length = length;
        return message;
    }
}
exports.Parser = Parser;
const parseReadyForQueryMessage = (reader) => {
    const status = reader.string(1);
    return new messages_1.ReadyForQueryMessage(LATEINIT_LENGTH, status);
};
const parseCommandCompleteMessage = (reader) => {
    const text = reader.cstring();
    return new messages_1.CommandCompleteMessage(LATEINIT_LENGTH, text);
};
const parseCopyData = (reader, length) => {
    const chunk = reader.bytes(length - 4);
    return new messages_1.CopyDataMessage(LATEINIT_LENGTH, chunk);
};
const parseCopyInMessage = (reader) => parseCopyMessage(reader, 'copyInResponse');
const parseCopyOutMessage = (reader) => parseCopyMessage(reader, 'copyOutResponse');
const parseCopyMessage = (reader, messageName) => {
    const isBinary = reader.byte() !== 0;
    const columnCount = reader.int16();
    const message = new messages_1.CopyResponse(LATEINIT_LENGTH, messageName, isBinary, columnCount);
    for (let i = 0; i < columnCount; i++) {
        message.columnTypes[i] = reader.int16();
    }
    return message;
};
const parseNotificationMessage = (reader) => {
    const processId = reader.int32();
    const channel = reader.cstring();
    const payload = reader.cstring();
    return new messages_1.NotificationResponseMessage(LATEINIT_LENGTH, processId, channel, payload);
};
const parseRowDescriptionMessage = (reader) => {
    const fieldCount = reader.int16();
    const message = new messages_1.RowDescriptionMessage(LATEINIT_LENGTH, fieldCount);
    for (let i = 0; i < fieldCount; i++) {
        message.fields[i] = parseField(reader);
    }
    return message;
};
const parseField = (reader) => {
    const name = reader.cstring();
    const tableID = reader.uint32();
    const columnID = reader.int16();
    const dataTypeID = reader.uint32();
    const dataTypeSize = reader.int16();
    const dataTypeModifier = reader.int32();
    const mode = reader.int16() === 0 ? 'text' : 'binary';
    return new messages_1.Field(name, tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier, mode);
};
const parseParameterDescriptionMessage = (reader) => {
    const parameterCount = reader.int16();
    const message = new messages_1.ParameterDescriptionMessage(LATEINIT_LENGTH, parameterCount);
    for (let i = 0; i < parameterCount; i++) {
        // OIDs are unsigned, same as dataTypeID in parseField above
        message.dataTypeIDs[i] = reader.uint32();
    }
    return message;
};
const parseDataRowMessage = (reader) => {
    const fieldCount = reader.int16();
    const fields = new Array(fieldCount);
    for (let i = 0; i < fieldCount; i++) {
        const len = reader.int32();
        // a -1 for length means the value of the field is null
        fields[i] = len === -1 ? null : reader.string(len);
    }
    return new messages_1.DataRowMessage(LATEINIT_LENGTH, fields);
};
const parseParameterStatusMessage = (reader) => {
    const name = reader.cstring();
    const value = reader.cstring();
    return new messages_1.ParameterStatusMessage(LATEINIT_LENGTH, name, value);
};
const parseBackendKeyData = (reader) => {
    const processID = reader.int32();
    const secretKey = reader.int32();
    return new messages_1.BackendKeyDataMessage(LATEINIT_LENGTH, processID, secretKey);
};
const parseAuthenticationResponse = (reader, length) => {
    const code = reader.int32();
    // TODO(bmc): maybe better types here
    const message = {
        name: 'authenticationOk',
        length,
    };
    switch (code) {
        case 0: // AuthenticationOk
            break;
        case 3: // AuthenticationCleartextPassword
            if (message.length === 8) {
                message.name = 'authenticationCleartextPassword';
            }
            break;
        case 5: // AuthenticationMD5Password
            if (message.length === 12) {
                message.name = 'authenticationMD5Password';
                const salt = reader.bytes(4);
                return new messages_1.AuthenticationMD5Password(LATEINIT_LENGTH, salt);
            }
            break;
        case 10: // AuthenticationSASL
            {
                message.name = 'authenticationSASL';
                message.mechanisms = [];
                let mechanism;
                do {
                    mechanism = reader.cstring();
                    if (mechanism) {
                        message.mechanisms.push(mechanism);
                    }
                } while (mechanism);
            }
            break;
        case 11: // AuthenticationSASLContinue
            message.name = 'authenticationSASLContinue';
            message.data = reader.string(length - 8);
            break;
        case 12: // AuthenticationSASLFinal
            message.name = 'authenticationSASLFinal';
            message.data = reader.string(length - 8);
            break;
        default:
            throw new Error('Unknown authenticationOk message type ' + code);
    }
    return message;
};
const parseErrorMessage = (reader, name) => {
    const fields = {};
    let fieldType = reader.string(1);
    while (fieldType !== '\0') {
        fields[fieldType] = reader.cstring();
        fieldType = reader.string(1);
    }
    const messageValue = fields.M;
    const message = name === 'notice'
        ? new messages_1.NoticeMessage(LATEINIT_LENGTH, messageValue)
        : new messages_1.DatabaseError(messageValue, LATEINIT_LENGTH, name);
    message.severity = fields.S;
    message.code = fields.C;
    message.detail = fields.D;
    message.hint = fields.H;
    message.position = fields.P;
    message.internalPosition = fields.p;
    message.internalQuery = fields.q;
    message.where = fields.W;
    message.schema = fields.s;
    message.table = fields.t;
    message.column = fields.c;
    message.dataType = fields.d;
    message.constraint = fields.n;
    message.file = fields.F;
    message.line = fields.L;
    message.routine = fields.R;
    return message;
};
//# sourceMappingURL=parser.js.map

/***/ }),

/***/ 6513:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.serialize = void 0;
const buffer_writer_1 = __nccwpck_require__(9315);
const writer = new buffer_writer_1.Writer();
const startup = (opts) => {
    // protocol version
    writer.addInt16(3).addInt16(0);
    for (const key of Object.keys(opts)) {
        writer.addCString(key).addCString(opts[key]);
    }
    writer.addCString('client_encoding').addCString('UTF8');
    const bodyBuffer = writer.addCString('').flush();
    // this message is sent without a code
    const length = bodyBuffer.length + 4;
    return new buffer_writer_1.Writer().addInt32(length).add(bodyBuffer).flush();
};
const requestSsl = () => {
    const response = Buffer.allocUnsafe(8);
    response.writeInt32BE(8, 0);
    response.writeInt32BE(80877103, 4);
    return response;
};
const password = (password) => {
    return writer.addCString(password).flush(112 /* code.startup */);
};
const sendSASLInitialResponseMessage = function (mechanism, initialResponse) {
    // 0x70 = 'p'
    writer.addCString(mechanism).addInt32PrefixedString(initialResponse);
    return writer.flush(112 /* code.startup */);
};
const sendSCRAMClientFinalMessage = function (additionalData) {
    return writer.addString(additionalData).flush(112 /* code.startup */);
};
const query = (text) => {
    return writer.addCString(text).flush(81 /* code.query */);
};
const emptyArray = [];
const parse = (query) => {
    // expect something like this:
    // { name: 'queryName',
    //   text: 'select * from blah',
    //   types: ['int8', 'bool'] }
    // normalize missing query names to allow for null
    const name = query.name || '';
    if (name.length > 63) {
        console.error('Warning! Postgres only supports 63 characters for query names.');
        console.error('You supplied %s (%s)', name, name.length);
        console.error('This can cause conflicts and silent errors executing queries');
    }
    const types = query.types || emptyArray;
    const len = types.length;
    const buffer = writer
        .addCString(name) // name of query
        .addCString(query.text) // actual query text
        .addInt16(len);
    for (let i = 0; i < len; i++) {
        buffer.addInt32(types[i]);
    }
    return writer.flush(80 /* code.parse */);
};
const writeValues = function (values, valueMapper, formatsOffset) {
    const len = values.length;
    for (let i = 0; i < len; i++) {
        const mappedVal = valueMapper ? valueMapper(values[i], i) : values[i];
        let formatByte = 0 /* ParamType.STRING */;
        if (mappedVal == null) {
            // write -1 to indicate null
            writer.addInt32(-1);
        }
        else if (mappedVal instanceof Buffer) {
            formatByte = 1 /* ParamType.BINARY */;
            // add the buffer to the param writer
            writer.addInt32(mappedVal.length);
            writer.add(mappedVal);
        }
        else {
            // length prefix + UTF-8 bytes in one pass (Buffer.byteLength computed once)
            writer.addInt32PrefixedString(mappedVal);
        }
        // beware: `writer` operations can replace `writer.buffer` with a new buffer
        const buf = writer.buffer;
        buf[formatsOffset++] = 0;
        buf[formatsOffset++] = formatByte;
    }
};
const bind = (config = {}) => {
    // normalize config
    const portal = config.portal || '';
    const statement = config.statement || '';
    const binary = config.binary || false;
    const values = config.values || emptyArray;
    const len = values.length;
    writer.addCString(portal).addCString(statement);
    // number of parameter format codes
    writer.addInt16(len);
    // space for those codes, filled by `writeValues`
    const formatsOffset = writer.reserveUnsafe(len * 2);
    // number of parameter values
    writer.addInt16(len);
    try {
        writeValues(values, config.valueMapper, formatsOffset);
    }
    catch (err) {
        writer.clear();
        throw err;
    }
    // all results use the same format code
    writer.addInt16(1);
    // format code
    writer.addInt16(binary ? 1 /* ParamType.BINARY */ : 0 /* ParamType.STRING */);
    return writer.flush(66 /* code.bind */);
};
const emptyExecute = Buffer.from([69 /* code.execute */, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00]);
const execute = (config) => {
    // this is the happy path for most queries
    if (!config || (!config.portal && !config.rows)) {
        return emptyExecute;
    }
    const portal = config.portal || '';
    const rows = config.rows || 0;
    const portalLength = Buffer.byteLength(portal);
    const len = 4 + portalLength + 1 + 4;
    // one extra bit for code
    const buff = Buffer.allocUnsafe(1 + len);
    buff[0] = 69 /* code.execute */;
    buff.writeInt32BE(len, 1);
    buff.write(portal, 5, 'utf-8');
    buff[portalLength + 5] = 0; // null terminate portal cString
    buff.writeUInt32BE(rows, buff.length - 4);
    return buff;
};
const cancel = (processID, secretKey) => {
    const buffer = Buffer.allocUnsafe(16);
    buffer.writeInt32BE(16, 0);
    buffer.writeInt16BE(1234, 4);
    buffer.writeInt16BE(5678, 6);
    buffer.writeInt32BE(processID, 8);
    buffer.writeInt32BE(secretKey, 12);
    return buffer;
};
const cstringMessage = (code, string) => {
    const stringLen = Buffer.byteLength(string);
    const len = 4 + stringLen + 1;
    // one extra bit for code
    const buffer = Buffer.allocUnsafe(1 + len);
    buffer[0] = code;
    buffer.writeInt32BE(len, 1);
    buffer.write(string, 5, 'utf-8');
    buffer[len] = 0; // null terminate cString
    return buffer;
};
const emptyDescribePortal = writer.addCString('P').flush(68 /* code.describe */);
const emptyDescribeStatement = writer.addCString('S').flush(68 /* code.describe */);
const describe = (msg) => {
    return msg.name
        ? cstringMessage(68 /* code.describe */, `${msg.type}${msg.name || ''}`)
        : msg.type === 'P'
            ? emptyDescribePortal
            : emptyDescribeStatement;
};
const close = (msg) => {
    const text = `${msg.type}${msg.name || ''}`;
    return cstringMessage(67 /* code.close */, text);
};
const copyData = (chunk) => {
    return writer.add(chunk).flush(100 /* code.copyFromChunk */);
};
const copyFail = (message) => {
    return cstringMessage(102 /* code.copyFail */, message);
};
const codeOnlyBuffer = (code) => Buffer.from([code, 0x00, 0x00, 0x00, 0x04]);
const flushBuffer = codeOnlyBuffer(72 /* code.flush */);
const syncBuffer = codeOnlyBuffer(83 /* code.sync */);
const endBuffer = codeOnlyBuffer(88 /* code.end */);
const copyDoneBuffer = codeOnlyBuffer(99 /* code.copyDone */);
const serialize = {
    startup,
    password,
    requestSsl,
    sendSASLInitialResponseMessage,
    sendSCRAMClientFinalMessage,
    query,
    parse,
    bind,
    execute,
    describe,
    close,
    flush: () => flushBuffer,
    sync: () => syncBuffer,
    end: () => endBuffer,
    copyData,
    copyDone: () => copyDoneBuffer,
    copyFail,
    cancel,
};
exports.serialize = serialize;
//# sourceMappingURL=serializer.js.map

/***/ }),

/***/ 1549:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {

var textParsers = __nccwpck_require__(4784);
var binaryParsers = __nccwpck_require__(7522);
var arrayParser = __nccwpck_require__(6471);
var builtinTypes = __nccwpck_require__(6345);

exports.getTypeParser = getTypeParser;
exports.setTypeParser = setTypeParser;
exports.arrayParser = arrayParser;
exports.builtins = builtinTypes;

var typeParsers = {
  text: {},
  binary: {}
};

//the empty parse function
function noParse (val) {
  return String(val);
};

//returns a function used to convert a specific type (specified by
//oid) into a result javascript type
//note: the oid can be obtained via the following sql query:
//SELECT oid FROM pg_type WHERE typname = 'TYPE_NAME_HERE';
function getTypeParser (oid, format) {
  format = format || 'text';
  if (!typeParsers[format]) {
    return noParse;
  }
  return typeParsers[format][oid] || noParse;
};

function setTypeParser (oid, format, parseFn) {
  if(typeof format == 'function') {
    parseFn = format;
    format = 'text';
  }
  typeParsers[format][oid] = parseFn;
};

textParsers.init(function(oid, converter) {
  typeParsers.text[oid] = converter;
});

binaryParsers.init(function(oid, converter) {
  typeParsers.binary[oid] = converter;
});


/***/ }),

/***/ 6471:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

var array = __nccwpck_require__(3879);

module.exports = {
  create: function (source, transform) {
    return {
      parse: function() {
        return array.parse(source, transform);
      }
    };
  }
};


/***/ }),

/***/ 7522:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

var parseInt64 = __nccwpck_require__(2299);

var parseBits = function(data, bits, offset, invert, callback) {
  offset = offset || 0;
  invert = invert || false;
  callback = callback || function(lastValue, newValue, bits) { return (lastValue * Math.pow(2, bits)) + newValue; };
  var offsetBytes = offset >> 3;

  var inv = function(value) {
    if (invert) {
      return ~value & 0xff;
    }

    return value;
  };

  // read first (maybe partial) byte
  var mask = 0xff;
  var firstBits = 8 - (offset % 8);
  if (bits < firstBits) {
    mask = (0xff << (8 - bits)) & 0xff;
    firstBits = bits;
  }

  if (offset) {
    mask = mask >> (offset % 8);
  }

  var result = 0;
  if ((offset % 8) + bits >= 8) {
    result = callback(0, inv(data[offsetBytes]) & mask, firstBits);
  }

  // read bytes
  var bytes = (bits + offset) >> 3;
  for (var i = offsetBytes + 1; i < bytes; i++) {
    result = callback(result, inv(data[i]), 8);
  }

  // bits to read, that are not a complete byte
  var lastBits = (bits + offset) % 8;
  if (lastBits > 0) {
    result = callback(result, inv(data[bytes]) >> (8 - lastBits), lastBits);
  }

  return result;
};

var parseFloatFromBits = function(data, precisionBits, exponentBits) {
  var bias = Math.pow(2, exponentBits - 1) - 1;
  var sign = parseBits(data, 1);
  var exponent = parseBits(data, exponentBits, 1);

  if (exponent === 0) {
    return 0;
  }

  // parse mantissa
  var precisionBitsCounter = 1;
  var parsePrecisionBits = function(lastValue, newValue, bits) {
    if (lastValue === 0) {
      lastValue = 1;
    }

    for (var i = 1; i <= bits; i++) {
      precisionBitsCounter /= 2;
      if ((newValue & (0x1 << (bits - i))) > 0) {
        lastValue += precisionBitsCounter;
      }
    }

    return lastValue;
  };

  var mantissa = parseBits(data, precisionBits, exponentBits + 1, false, parsePrecisionBits);

  // special cases
  if (exponent == (Math.pow(2, exponentBits + 1) - 1)) {
    if (mantissa === 0) {
      return (sign === 0) ? Infinity : -Infinity;
    }

    return NaN;
  }

  // normale number
  return ((sign === 0) ? 1 : -1) * Math.pow(2, exponent - bias) * mantissa;
};

var parseInt16 = function(value) {
  if (parseBits(value, 1) == 1) {
    return -1 * (parseBits(value, 15, 1, true) + 1);
  }

  return parseBits(value, 15, 1);
};

var parseInt32 = function(value) {
  if (parseBits(value, 1) == 1) {
    return -1 * (parseBits(value, 31, 1, true) + 1);
  }

  return parseBits(value, 31, 1);
};

var parseFloat32 = function(value) {
  return parseFloatFromBits(value, 23, 8);
};

var parseFloat64 = function(value) {
  return parseFloatFromBits(value, 52, 11);
};

var parseNumeric = function(value) {
  var sign = parseBits(value, 16, 32);
  if (sign == 0xc000) {
    return NaN;
  }

  var weight = Math.pow(10000, parseBits(value, 16, 16));
  var result = 0;

  var digits = [];
  var ndigits = parseBits(value, 16);
  for (var i = 0; i < ndigits; i++) {
    result += parseBits(value, 16, 64 + (16 * i)) * weight;
    weight /= 10000;
  }

  var scale = Math.pow(10, parseBits(value, 16, 48));
  return ((sign === 0) ? 1 : -1) * Math.round(result * scale) / scale;
};

var parseDate = function(isUTC, value) {
  var sign = parseBits(value, 1);
  var rawValue = parseBits(value, 63, 1);

  // discard usecs and shift from 2000 to 1970
  var result = new Date((((sign === 0) ? 1 : -1) * rawValue / 1000) + 946684800000);

  if (!isUTC) {
    result.setTime(result.getTime() + result.getTimezoneOffset() * 60000);
  }

  // add microseconds to the date
  result.usec = rawValue % 1000;
  result.getMicroSeconds = function() {
    return this.usec;
  };
  result.setMicroSeconds = function(value) {
    this.usec = value;
  };
  result.getUTCMicroSeconds = function() {
    return this.usec;
  };

  return result;
};

var parseArray = function(value) {
  var dim = parseBits(value, 32);

  var flags = parseBits(value, 32, 32);
  var elementType = parseBits(value, 32, 64);

  var offset = 96;
  var dims = [];
  for (var i = 0; i < dim; i++) {
    // parse dimension
    dims[i] = parseBits(value, 32, offset);
    offset += 32;

    // ignore lower bounds
    offset += 32;
  }

  var parseElement = function(elementType) {
    // parse content length
    var length = parseBits(value, 32, offset);
    offset += 32;

    // parse null values
    if (length == 0xffffffff) {
      return null;
    }

    var result;
    if ((elementType == 0x17) || (elementType == 0x14)) {
      // int/bigint
      result = parseBits(value, length * 8, offset);
      offset += length * 8;
      return result;
    }
    else if (elementType == 0x19) {
      // string
      result = value.toString(this.encoding, offset >> 3, (offset += (length << 3)) >> 3);
      return result;
    }
    else {
      console.log("ERROR: ElementType not implemented: " + elementType);
    }
  };

  var parse = function(dimension, elementType) {
    var array = [];
    var i;

    if (dimension.length > 1) {
      var count = dimension.shift();
      for (i = 0; i < count; i++) {
        array[i] = parse(dimension, elementType);
      }
      dimension.unshift(count);
    }
    else {
      for (i = 0; i < dimension[0]; i++) {
        array[i] = parseElement(elementType);
      }
    }

    return array;
  };

  return parse(dims, elementType);
};

var parseText = function(value) {
  return value.toString('utf8');
};

var parseBool = function(value) {
  if(value === null) return null;
  return (parseBits(value, 8) > 0);
};

var init = function(register) {
  register(20, parseInt64);
  register(21, parseInt16);
  register(23, parseInt32);
  register(26, parseInt32);
  register(1700, parseNumeric);
  register(700, parseFloat32);
  register(701, parseFloat64);
  register(16, parseBool);
  register(1114, parseDate.bind(null, false));
  register(1184, parseDate.bind(null, true));
  register(1000, parseArray);
  register(1007, parseArray);
  register(1016, parseArray);
  register(1008, parseArray);
  register(1009, parseArray);
  register(25, parseText);
};

module.exports = {
  init: init
};


/***/ }),

/***/ 6345:
/***/ ((module) => {

/**
 * Following query was used to generate this file:

 SELECT json_object_agg(UPPER(PT.typname), PT.oid::int4 ORDER BY pt.oid)
 FROM pg_type PT
 WHERE typnamespace = (SELECT pgn.oid FROM pg_namespace pgn WHERE nspname = 'pg_catalog') -- Take only builting Postgres types with stable OID (extension types are not guaranted to be stable)
 AND typtype = 'b' -- Only basic types
 AND typelem = 0 -- Ignore aliases
 AND typisdefined -- Ignore undefined types
 */

module.exports = {
    BOOL: 16,
    BYTEA: 17,
    CHAR: 18,
    INT8: 20,
    INT2: 21,
    INT4: 23,
    REGPROC: 24,
    TEXT: 25,
    OID: 26,
    TID: 27,
    XID: 28,
    CID: 29,
    JSON: 114,
    XML: 142,
    PG_NODE_TREE: 194,
    SMGR: 210,
    PATH: 602,
    POLYGON: 604,
    CIDR: 650,
    FLOAT4: 700,
    FLOAT8: 701,
    ABSTIME: 702,
    RELTIME: 703,
    TINTERVAL: 704,
    CIRCLE: 718,
    MACADDR8: 774,
    MONEY: 790,
    MACADDR: 829,
    INET: 869,
    ACLITEM: 1033,
    BPCHAR: 1042,
    VARCHAR: 1043,
    DATE: 1082,
    TIME: 1083,
    TIMESTAMP: 1114,
    TIMESTAMPTZ: 1184,
    INTERVAL: 1186,
    TIMETZ: 1266,
    BIT: 1560,
    VARBIT: 1562,
    NUMERIC: 1700,
    REFCURSOR: 1790,
    REGPROCEDURE: 2202,
    REGOPER: 2203,
    REGOPERATOR: 2204,
    REGCLASS: 2205,
    REGTYPE: 2206,
    UUID: 2950,
    TXID_SNAPSHOT: 2970,
    PG_LSN: 3220,
    PG_NDISTINCT: 3361,
    PG_DEPENDENCIES: 3402,
    TSVECTOR: 3614,
    TSQUERY: 3615,
    GTSVECTOR: 3642,
    REGCONFIG: 3734,
    REGDICTIONARY: 3769,
    JSONB: 3802,
    REGNAMESPACE: 4089,
    REGROLE: 4096
};


/***/ }),

/***/ 4784:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

var array = __nccwpck_require__(3879)
var arrayParser = __nccwpck_require__(6471);
var parseDate = __nccwpck_require__(2690);
var parseInterval = __nccwpck_require__(8755);
var parseByteA = __nccwpck_require__(463);

function allowNull (fn) {
  return function nullAllowed (value) {
    if (value === null) return value
    return fn(value)
  }
}

function parseBool (value) {
  if (value === null) return value
  return value === 'TRUE' ||
    value === 't' ||
    value === 'true' ||
    value === 'y' ||
    value === 'yes' ||
    value === 'on' ||
    value === '1';
}

function parseBoolArray (value) {
  if (!value) return null
  return array.parse(value, parseBool)
}

function parseBaseTenInt (string) {
  return parseInt(string, 10)
}

function parseIntegerArray (value) {
  if (!value) return null
  return array.parse(value, allowNull(parseBaseTenInt))
}

function parseBigIntegerArray (value) {
  if (!value) return null
  return array.parse(value, allowNull(function (entry) {
    return parseBigInteger(entry).trim()
  }))
}

var parsePointArray = function(value) {
  if(!value) { return null; }
  var p = arrayParser.create(value, function(entry) {
    if(entry !== null) {
      entry = parsePoint(entry);
    }
    return entry;
  });

  return p.parse();
};

var parseFloatArray = function(value) {
  if(!value) { return null; }
  var p = arrayParser.create(value, function(entry) {
    if(entry !== null) {
      entry = parseFloat(entry);
    }
    return entry;
  });

  return p.parse();
};

var parseStringArray = function(value) {
  if(!value) { return null; }

  var p = arrayParser.create(value);
  return p.parse();
};

var parseDateArray = function(value) {
  if (!value) { return null; }

  var p = arrayParser.create(value, function(entry) {
    if (entry !== null) {
      entry = parseDate(entry);
    }
    return entry;
  });

  return p.parse();
};

var parseIntervalArray = function(value) {
  if (!value) { return null; }

  var p = arrayParser.create(value, function(entry) {
    if (entry !== null) {
      entry = parseInterval(entry);
    }
    return entry;
  });

  return p.parse();
};

var parseByteAArray = function(value) {
  if (!value) { return null; }

  return array.parse(value, allowNull(parseByteA));
};

var parseInteger = function(value) {
  return parseInt(value, 10);
};

var parseBigInteger = function(value) {
  var valStr = String(value);
  if (/^\d+$/.test(valStr)) { return valStr; }
  return value;
};

var parseJsonArray = function(value) {
  if (!value) { return null; }

  return array.parse(value, allowNull(JSON.parse));
};

var parsePoint = function(value) {
  if (value[0] !== '(') { return null; }

  value = value.substring( 1, value.length - 1 ).split(',');

  return {
    x: parseFloat(value[0])
  , y: parseFloat(value[1])
  };
};

var parseCircle = function(value) {
  if (value[0] !== '<' && value[1] !== '(') { return null; }

  var point = '(';
  var radius = '';
  var pointParsed = false;
  for (var i = 2; i < value.length - 1; i++){
    if (!pointParsed) {
      point += value[i];
    }

    if (value[i] === ')') {
      pointParsed = true;
      continue;
    } else if (!pointParsed) {
      continue;
    }

    if (value[i] === ','){
      continue;
    }

    radius += value[i];
  }
  var result = parsePoint(point);
  result.radius = parseFloat(radius);

  return result;
};

var init = function(register) {
  register(20, parseBigInteger); // int8
  register(21, parseInteger); // int2
  register(23, parseInteger); // int4
  register(26, parseInteger); // oid
  register(700, parseFloat); // float4/real
  register(701, parseFloat); // float8/double
  register(16, parseBool);
  register(1082, parseDate); // date
  register(1114, parseDate); // timestamp without timezone
  register(1184, parseDate); // timestamp
  register(600, parsePoint); // point
  register(651, parseStringArray); // cidr[]
  register(718, parseCircle); // circle
  register(1000, parseBoolArray);
  register(1001, parseByteAArray);
  register(1005, parseIntegerArray); // _int2
  register(1007, parseIntegerArray); // _int4
  register(1028, parseIntegerArray); // oid[]
  register(1016, parseBigIntegerArray); // _int8
  register(1017, parsePointArray); // point[]
  register(1021, parseFloatArray); // _float4
  register(1022, parseFloatArray); // _float8
  register(1231, parseFloatArray); // _numeric
  register(1014, parseStringArray); //char
  register(1015, parseStringArray); //varchar
  register(1008, parseStringArray);
  register(1009, parseStringArray);
  register(1040, parseStringArray); // macaddr[]
  register(1041, parseStringArray); // inet[]
  register(1115, parseDateArray); // timestamp without time zone[]
  register(1182, parseDateArray); // _date
  register(1185, parseDateArray); // timestamp with time zone[]
  register(1186, parseInterval);
  register(1187, parseIntervalArray);
  register(17, parseByteA);
  register(114, JSON.parse.bind(JSON)); // json
  register(3802, JSON.parse.bind(JSON)); // jsonb
  register(199, parseJsonArray); // json[]
  register(3807, parseJsonArray); // jsonb[]
  register(3907, parseStringArray); // numrange[]
  register(2951, parseStringArray); // uuid[]
  register(791, parseStringArray); // money[]
  register(1183, parseStringArray); // time[]
  register(1270, parseStringArray); // timetz[]
};

module.exports = {
  init: init
};


/***/ }),

/***/ 5042:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

const EventEmitter = (__nccwpck_require__(4434).EventEmitter)
const utils = __nccwpck_require__(9652)
const nodeUtils = __nccwpck_require__(9023)
const sasl = __nccwpck_require__(948)
const TypeOverrides = __nccwpck_require__(365)

const ConnectionParameters = __nccwpck_require__(8265)
const Query = __nccwpck_require__(4473)
const defaults = __nccwpck_require__(8995)
const Connection = __nccwpck_require__(9809)
const crypto = __nccwpck_require__(4150)

const activeQueryDeprecationNotice = nodeUtils.deprecate(
  () => {},
  'Client.activeQuery is deprecated and will be removed in pg@9.0'
)

const queryQueueDeprecationNotice = nodeUtils.deprecate(
  () => {},
  'Client.queryQueue is deprecated and will be removed in pg@9.0.'
)

const pgPassDeprecationNotice = nodeUtils.deprecate(
  () => {},
  'pgpass support is deprecated and will be removed in pg@9.0. ' +
    'You can provide an async function as the password property to the Client/Pool constructor that returns a password instead. Within this function you can call the pgpass module in your own code.'
)

const byoPromiseDeprecationNotice = nodeUtils.deprecate(
  () => {},
  'Passing a custom Promise implementation to the Client/Pool constructor is deprecated and will be removed in pg@9.0.'
)

const queryQueueLengthDeprecationNotice = nodeUtils.deprecate(
  () => {},
  'Calling client.query() when the client is already executing a query is deprecated and will be removed in pg@9.0. Use async/await or an external async flow control mechanism instead.'
)

function coerceNumberOrDefault(value, defaultValue) {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : defaultValue
  }
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value)
    return Number.isFinite(n) ? n : defaultValue
  }
  return defaultValue
}

class Client extends EventEmitter {
  constructor(config) {
    super()

    this.connectionParameters = new ConnectionParameters(config)
    this.user = this.connectionParameters.user
    this.database = this.connectionParameters.database
    this.port = this.connectionParameters.port
    this.host = this.connectionParameters.host

    // "hiding" the password so it doesn't show up in stack traces
    // or if the client is console.logged
    Object.defineProperty(this, 'password', {
      configurable: true,
      enumerable: false,
      writable: true,
      value: this.connectionParameters.password,
    })

    this.replication = this.connectionParameters.replication

    const c = config || {}

    if (c.Promise) {
      byoPromiseDeprecationNotice()
    }
    this._Promise = c.Promise || global.Promise
    this._types = new TypeOverrides(c.types)
    this._ending = false
    this._ended = false
    this._connecting = false
    this._connected = false
    this._connectionError = false
    this._queryable = true
    this._activeQuery = null
    this._txStatus = null

    this.enableChannelBinding = Boolean(c.enableChannelBinding) // set true to use SCRAM-SHA-256-PLUS when offered
    this.scramMaxIterations = coerceNumberOrDefault(c.scramMaxIterations, sasl.DEFAULT_MAX_SCRAM_ITERATIONS)
    this.connection =
      c.connection ||
      new Connection({
        stream: c.stream,
        ssl: this.connectionParameters.ssl,
        sslNegotiation: this.connectionParameters.sslnegotiation,
        keepAlive: c.keepAlive || false,
        keepAliveInitialDelayMillis: c.keepAliveInitialDelayMillis || 0,
        encoding: this.connectionParameters.client_encoding || 'utf8',
      })
    this._queryQueue = []
    this._sentQueryQueue = []
    this.pipeline = Boolean(c.pipeline)
    this.binary = c.binary || defaults.binary
    this.processID = null
    this.secretKey = null
    this.ssl = this.connectionParameters.ssl || false
    this.sslNegotiation = this.connectionParameters.sslnegotiation || 'postgres'
    // As with Password, make SSL->Key (the private key) non-enumerable.
    // It won't show up in stack traces
    // or if the client is console.logged
    if (this.ssl && this.ssl.key) {
      Object.defineProperty(this.ssl, 'key', {
        enumerable: false,
      })
    }

    this._connectionTimeoutMillis = c.connectionTimeoutMillis || 0
  }

  get activeQuery() {
    activeQueryDeprecationNotice()
    return this._activeQuery
  }

  set activeQuery(val) {
    activeQueryDeprecationNotice()
    this._activeQuery = val
  }

  _getActiveQuery() {
    return this._activeQuery
  }

  _errorAllQueries(err) {
    const enqueueError = (query) => {
      process.nextTick(() => {
        query.handleError(err, this.connection)
      })
    }

    const activeQuery = this._getActiveQuery()
    if (activeQuery) {
      enqueueError(activeQuery)
      this._activeQuery = null
    }

    this._sentQueryQueue.forEach(enqueueError)
    this._sentQueryQueue.length = 0

    this._queryQueue.forEach(enqueueError)
    this._queryQueue.length = 0
  }

  _connect(callback) {
    const self = this
    const con = this.connection
    this._connectionCallback = callback

    if (this._connecting || this._connected) {
      const err = new Error('Client has already been connected. You cannot reuse a client.')
      process.nextTick(() => {
        callback(err)
      })
      return
    }
    this._connecting = true

    if (this._connectionTimeoutMillis > 0) {
      this.connectionTimeoutHandle = setTimeout(() => {
        con._ending = true
        con.stream.destroy(new Error('timeout expired'))
      }, this._connectionTimeoutMillis)

      if (this.connectionTimeoutHandle.unref) {
        this.connectionTimeoutHandle.unref()
      }
    }

    if (this.host && this.host.indexOf('/') === 0) {
      con.connect(this.host + '/.s.PGSQL.' + this.port)
    } else {
      con.connect(this.port, this.host)
    }

    // once connection is established send startup message
    con.on('connect', function () {
      if (self.ssl) {
        // With direct SSL negotiation the connection upgrades to TLS without an
        // SSLRequest packet, so the startup message is sent after 'sslconnect'.
        if (self.sslNegotiation !== 'direct') {
          con.requestSsl()
        }
      } else {
        con.startup(self.getStartupConf())
      }
    })

    con.on('sslconnect', function () {
      con.startup(self.getStartupConf())
    })

    this._attachListeners(con)

    con.once('end', () => {
      const error = this._ending ? new Error('Connection terminated') : new Error('Connection terminated unexpectedly')

      clearTimeout(this.connectionTimeoutHandle)
      this._errorAllQueries(error)
      this._ended = true

      if (!this._ending) {
        // if the connection is ended without us calling .end()
        // on this client then we have an unexpected disconnection
        // treat this as an error unless we've already emitted an error
        // during connection.
        if (this._connecting && !this._connectionError) {
          if (this._connectionCallback) {
            this._connectionCallback(error)
          } else {
            this._handleErrorEvent(error)
          }
        } else if (!this._connectionError) {
          this._handleErrorEvent(error)
        }
      }

      process.nextTick(() => {
        this.emit('end')
      })
    })
  }

  connect(callback) {
    if (callback) {
      this._connect(callback)
      return
    }

    return new this._Promise((resolve, reject) => {
      this._connect((error) => {
        if (error) {
          reject(error)
        } else {
          resolve(this)
        }
      })
    })
  }

  _attachListeners(con) {
    // password request handling
    con.on('authenticationCleartextPassword', this._handleAuthCleartextPassword.bind(this))
    // password request handling
    con.on('authenticationMD5Password', this._handleAuthMD5Password.bind(this))
    // password request handling (SASL)
    con.on('authenticationSASL', this._handleAuthSASL.bind(this))
    con.on('authenticationSASLContinue', this._handleAuthSASLContinue.bind(this))
    con.on('authenticationSASLFinal', this._handleAuthSASLFinal.bind(this))
    con.on('backendKeyData', this._handleBackendKeyData.bind(this))
    con.on('error', this._handleErrorEvent.bind(this))
    con.on('errorMessage', this._handleErrorMessage.bind(this))
    con.on('readyForQuery', this._handleReadyForQuery.bind(this))
    con.on('notice', this._handleNotice.bind(this))
    con.on('rowDescription', this._handleRowDescription.bind(this))
    con.on('dataRow', this._handleDataRow.bind(this))
    con.on('portalSuspended', this._handlePortalSuspended.bind(this))
    con.on('emptyQuery', this._handleEmptyQuery.bind(this))
    con.on('commandComplete', this._handleCommandComplete.bind(this))
    con.on('parseComplete', this._handleParseComplete.bind(this))
    con.on('copyInResponse', this._handleCopyInResponse.bind(this))
    con.on('copyData', this._handleCopyData.bind(this))
    con.on('notification', this._handleNotification.bind(this))
  }

  _getPassword(cb) {
    const con = this.connection
    if (typeof this.password === 'function') {
      this._Promise
        .resolve()
        .then(() => this.password(this.connectionParameters))
        .then((pass) => {
          if (pass !== undefined) {
            if (typeof pass !== 'string') {
              con.emit('error', new TypeError('Password must be a string'))
              return
            }
            this.connectionParameters.password = this.password = pass
          } else {
            this.connectionParameters.password = this.password = null
          }
          cb()
        })
        .catch((err) => {
          con.emit('error', err)
        })
    } else if (this.password !== null) {
      cb()
    } else {
      try {
        const pgPass = __nccwpck_require__(3272)
        pgPass(this.connectionParameters, (pass) => {
          if (undefined !== pass) {
            pgPassDeprecationNotice()
            this.connectionParameters.password = this.password = pass
          }
          cb()
        })
      } catch (e) {
        this.emit('error', e)
      }
    }
  }

  _handleAuthCleartextPassword(msg) {
    this._getPassword(() => {
      this.connection.password(this.password)
    })
  }

  _handleAuthMD5Password(msg) {
    this._getPassword(async () => {
      try {
        const hashedPassword = await crypto.postgresMd5PasswordHash(this.user, this.password, msg.salt)
        this.connection.password(hashedPassword)
      } catch (e) {
        this.emit('error', e)
      }
    })
  }

  _handleAuthSASL(msg) {
    this._getPassword(() => {
      try {
        this.saslSession = sasl.startSession(
          msg.mechanisms,
          this.enableChannelBinding && this.connection.stream,
          this.scramMaxIterations
        )
        this.connection.sendSASLInitialResponseMessage(this.saslSession.mechanism, this.saslSession.response)
      } catch (err) {
        this.connection.emit('error', err)
      }
    })
  }

  async _handleAuthSASLContinue(msg) {
    try {
      await sasl.continueSession(
        this.saslSession,
        this.password,
        msg.data,
        this.enableChannelBinding && this.connection.stream
      )
      this.connection.sendSCRAMClientFinalMessage(this.saslSession.response)
    } catch (err) {
      this.connection.emit('error', err)
    }
  }

  _handleAuthSASLFinal(msg) {
    try {
      sasl.finalizeSession(this.saslSession, msg.data)
      this.saslSession = null
    } catch (err) {
      this.connection.emit('error', err)
    }
  }

  _handleBackendKeyData(msg) {
    this.processID = msg.processID
    this.secretKey = msg.secretKey
  }

  _handleReadyForQuery(msg) {
    if (this._connecting) {
      this._connecting = false
      this._connected = true
      clearTimeout(this.connectionTimeoutHandle)

      // process possible callback argument to Client#connect
      if (this._connectionCallback) {
        this._connectionCallback(null, this)
        // remove callback for proper error handling
        // after the connect event
        this._connectionCallback = null
      }
      this.emit('connect')
    }
    const activeQuery = this._getActiveQuery()
    this._activeQuery = null
    this._txStatus = msg?.status ?? null
    this.readyForQuery = true
    if (activeQuery) {
      activeQuery.handleReadyForQuery(this.connection)
    }
    this._pulseQueryQueue()
  }

  // if we receive an error event or error message
  // during the connection process we handle it here
  _handleErrorWhileConnecting(err) {
    if (this._connectionError) {
      // TODO(bmc): this is swallowing errors - we shouldn't do this
      return
    }
    this._connectionError = true
    clearTimeout(this.connectionTimeoutHandle)
    if (this._connectionCallback) {
      return this._connectionCallback(err)
    }
    this.emit('error', err)
  }

  // if we're connected and we receive an error event from the connection
  // this means the socket is dead - do a hard abort of all queries and emit
  // the socket error on the client as well
  _handleErrorEvent(err) {
    if (this._connecting) {
      return this._handleErrorWhileConnecting(err)
    }
    this._queryable = false
    this._errorAllQueries(err)
    this.emit('error', err)
  }

  // handle error messages from the postgres backend
  _handleErrorMessage(msg) {
    if (this._connecting) {
      return this._handleErrorWhileConnecting(msg)
    }
    const activeQuery = this._getActiveQuery()

    if (!activeQuery) {
      this._handleErrorEvent(msg)
      return
    }

    this._activeQuery = null
    if (activeQuery.name) {
      delete this.connection.submittedNamedStatements[activeQuery.name]
    }
    activeQuery.handleError(msg, this.connection)
  }

  _handleRowDescription(msg) {
    const activeQuery = this._getActiveQuery()
    if (activeQuery == null) {
      const error = new Error('Received unexpected rowDescription message from backend.')
      this._handleErrorEvent(error)
      return
    }
    // delegate rowDescription to active query
    activeQuery.handleRowDescription(msg)
  }

  _handleDataRow(msg) {
    const activeQuery = this._getActiveQuery()
    if (activeQuery == null) {
      const error = new Error('Received unexpected dataRow message from backend.')
      this._handleErrorEvent(error)
      return
    }
    // delegate dataRow to active query
    activeQuery.handleDataRow(msg)
  }

  _handlePortalSuspended(msg) {
    const activeQuery = this._getActiveQuery()
    if (activeQuery == null) {
      const error = new Error('Received unexpected portalSuspended message from backend.')
      this._handleErrorEvent(error)
      return
    }
    // delegate portalSuspended to active query
    activeQuery.handlePortalSuspended(this.connection)
  }

  _handleEmptyQuery(msg) {
    const activeQuery = this._getActiveQuery()
    if (activeQuery == null) {
      const error = new Error('Received unexpected emptyQuery message from backend.')
      this._handleErrorEvent(error)
      return
    }
    // delegate emptyQuery to active query
    activeQuery.handleEmptyQuery(this.connection)
  }

  _handleCommandComplete(msg) {
    const activeQuery = this._getActiveQuery()
    if (activeQuery == null) {
      const error = new Error('Received unexpected commandComplete message from backend.')
      this._handleErrorEvent(error)
      return
    }
    // delegate commandComplete to active query
    activeQuery.handleCommandComplete(msg, this.connection)
  }

  _handleParseComplete() {
    const activeQuery = this._getActiveQuery()
    if (activeQuery == null) {
      const error = new Error('Received unexpected parseComplete message from backend.')
      this._handleErrorEvent(error)
      return
    }
    // if a prepared statement has a name and properly parses
    // we track that its already been executed so we don't parse
    // it again on the same client
    if (activeQuery.name) {
      this.connection.parsedStatements[activeQuery.name] = activeQuery.text
      delete this.connection.submittedNamedStatements[activeQuery.name]
    }
  }

  _handleCopyInResponse(msg) {
    const activeQuery = this._getActiveQuery()
    if (activeQuery == null) {
      const error = new Error('Received unexpected copyInResponse message from backend.')
      this._handleErrorEvent(error)
      return
    }
    activeQuery.handleCopyInResponse(this.connection)
  }

  _handleCopyData(msg) {
    const activeQuery = this._getActiveQuery()
    if (activeQuery == null) {
      const error = new Error('Received unexpected copyData message from backend.')
      this._handleErrorEvent(error)
      return
    }
    activeQuery.handleCopyData(msg, this.connection)
  }

  _handleNotification(msg) {
    this.emit('notification', msg)
  }

  _handleNotice(msg) {
    this.emit('notice', msg)
  }

  getStartupConf() {
    const params = this.connectionParameters

    const data = {
      user: params.user,
      database: params.database,
    }

    const appName = params.application_name || params.fallback_application_name
    if (appName) {
      data.application_name = appName
    }
    if (params.replication) {
      data.replication = '' + params.replication
    }
    if (params.statement_timeout) {
      data.statement_timeout = String(parseInt(params.statement_timeout, 10))
    }
    if (params.lock_timeout) {
      data.lock_timeout = String(parseInt(params.lock_timeout, 10))
    }
    if (params.idle_in_transaction_session_timeout) {
      data.idle_in_transaction_session_timeout = String(parseInt(params.idle_in_transaction_session_timeout, 10))
    }
    if (params.options) {
      data.options = params.options
    }

    return data
  }

  cancel(client, query) {
    if (client.activeQuery === query) {
      const con = this.connection

      if (this.host && this.host.indexOf('/') === 0) {
        con.connect(this.host + '/.s.PGSQL.' + this.port)
      } else {
        con.connect(this.port, this.host)
      }

      // once connection is established send cancel message
      con.on('connect', function () {
        con.cancel(client.processID, client.secretKey)
      })
    } else if (client._queryQueue.indexOf(query) !== -1) {
      client._queryQueue.splice(client._queryQueue.indexOf(query), 1)
    } else if (client._sentQueryQueue.indexOf(query) !== -1) {
      // Query already sent on wire — can't remove it without corrupting the
      // pipeline. No-op the callback so the result is silently discarded.
      query.callback = () => {}
    }
  }

  setTypeParser(oid, format, parseFn) {
    return this._types.setTypeParser(oid, format, parseFn)
  }

  getTypeParser(oid, format) {
    return this._types.getTypeParser(oid, format)
  }

  // escapeIdentifier and escapeLiteral moved to utility functions & exported
  // on PG
  // re-exported here for backwards compatibility
  escapeIdentifier(str) {
    return utils.escapeIdentifier(str)
  }

  escapeLiteral(str) {
    return utils.escapeLiteral(str)
  }

  _pulseQueryQueue() {
    if (this.pipeline) {
      this._pulsePipelinedQueryQueue()
      return
    }
    if (this.readyForQuery === true) {
      this._activeQuery = this._queryQueue.shift()
      const activeQuery = this._getActiveQuery()
      if (activeQuery) {
        this.readyForQuery = false
        this.hasExecuted = true

        const queryError = activeQuery.submit(this.connection)
        if (queryError) {
          process.nextTick(() => {
            activeQuery.handleError(queryError, this.connection)
            this.readyForQuery = true
            this._pulseQueryQueue()
          })
        }
      } else if (this.hasExecuted) {
        this._activeQuery = null
        this.emit('drain')
      }
    }
  }

  _pulsePipelinedQueryQueue() {
    if (!this._connected || !this._queryable) {
      return
    }
    while (this._queryQueue.length > 0) {
      const query = this._queryQueue.shift()
      this.hasExecuted = true
      const queryError = query.submit(this.connection)
      if (queryError) {
        process.nextTick(() => {
          query.handleError(queryError, this.connection)
        })
        continue
      }
      this._sentQueryQueue.push(query)
    }
    if (this.readyForQuery && !this._activeQuery && this._sentQueryQueue.length > 0) {
      this._activeQuery = this._sentQueryQueue.shift()
      this.readyForQuery = false
    }
    if (!this._activeQuery && this._sentQueryQueue.length === 0 && this._queryQueue.length === 0 && this.hasExecuted) {
      this.emit('drain')
    }
  }

  query(config, values, callback) {
    // can take in strings, config object or query object
    let query
    let result

    if (config == null) {
      throw new TypeError('Client was passed a null or undefined query')
    }

    if (typeof config.submit === 'function') {
      result = query = config
      if (!query.callback) {
        if (typeof values === 'function') {
          query.callback = values
        } else if (callback) {
          query.callback = callback
        }
      }
    } else {
      query = new Query(config, values, callback)
      if (!query.callback) {
        result = new this._Promise((resolve, reject) => {
          query.callback = (err, res) => (err ? reject(err) : resolve(res))
        }).catch((err) => {
          // replace the stack trace that leads to `TCP.onStreamRead` with one that leads back to the
          // application that created the query
          Error.captureStackTrace(err)
          throw err
        })
      } else if (typeof query.callback !== 'function') {
        throw new TypeError('callback is not a function')
      }
    }

    const readTimeout = config.query_timeout || this.connectionParameters.query_timeout
    if (readTimeout) {
      const queryCallback = query.callback || (() => {})

      const readTimeoutTimer = setTimeout(() => {
        const error = new Error('Query read timeout')

        process.nextTick(() => {
          query.handleError(error, this.connection)
        })

        queryCallback(error)

        // we already returned an error,
        // just do nothing if query completes
        query.callback = () => {}

        // Remove from queue (only safe if not yet sent)
        const index = this._queryQueue.indexOf(query)
        if (index > -1) {
          this._queryQueue.splice(index, 1)
        } else if (this.pipeline) {
          // Query already sent — the pipeline is blocked until it completes.
          // Destroy the connection to unblock all remaining pipelined queries.
          this.connection.stream.destroy()
          return
        }

        this._pulseQueryQueue()
      }, readTimeout)

      query.callback = (err, res) => {
        clearTimeout(readTimeoutTimer)
        queryCallback(err, res)
      }
    }

    if (this.binary && !query.binary) {
      query.binary = true
    }

    if (query._result && !query._result._types) {
      query._result._types = this._types
    }

    // A query that keeps a portal open across round trips cannot share a pipelined connection: the
    // queries written behind it are answered out of its portal, so rows land on the wrong query and
    // the reads that follow fail with 'portal does not exist'. Refuse it instead of corrupting.
    if (this.pipeline) {
      const portalQuery =
        typeof config.submit === 'function' && !(query instanceof Query)
          ? 'Custom query classes such as pg-cursor and pg-query-stream are'
          : query.rows
          ? 'The `rows` option is'
          : null
      if (portalQuery) {
        process.nextTick(() => {
          query.handleError(new Error(`${portalQuery} not supported in pipeline mode`), this.connection)
        })
        return result
      }
    }

    if (!this._queryable) {
      process.nextTick(() => {
        query.handleError(new Error('Client has encountered a connection error and is not queryable'), this.connection)
      })
      return result
    }

    if (this._ending) {
      process.nextTick(() => {
        query.handleError(new Error('Client was closed and is not queryable'), this.connection)
      })
      return result
    }

    if (this._queryQueue.length > 0 && !this.pipeline) {
      queryQueueLengthDeprecationNotice()
    }
    this._queryQueue.push(query)
    this._pulseQueryQueue()
    return result
  }

  ref() {
    this.connection.ref()
  }

  unref() {
    this.connection.unref()
  }

  getTransactionStatus() {
    return this._txStatus
  }

  end(cb) {
    this._ending = true

    // if we have never connected, then end is a noop, callback immediately
    if (!this.connection._connecting || this._ended) {
      if (cb) {
        cb()
        return
      } else {
        return this._Promise.resolve()
      }
    }

    if (!this._queryable) {
      // socket is dead — force close
      this.connection.stream.destroy()
    } else if (
      this.pipeline &&
      (this._getActiveQuery() || this._sentQueryQueue.length > 0 || this._queryQueue.length > 0)
    ) {
      // pipelined queries are already on the wire (or queued to send) and will
      // complete normally; wait for drain then do a graceful goodbye
      this.once('drain', () => this.connection.end())
    } else if (this._getActiveQuery()) {
      // non-pipeline: a hung query could block end forever — force disconnect
      this.connection.stream.destroy()
    } else {
      this.connection.end()
    }

    if (cb) {
      this.connection.once('end', cb)
    } else {
      return new this._Promise((resolve) => {
        this.connection.once('end', resolve)
      })
    }
  }
  get queryQueue() {
    queryQueueDeprecationNotice()
    return this._queryQueue
  }
}

// expose a Query constructor
Client.Query = Query

module.exports = Client


/***/ }),

/***/ 8265:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const dns = __nccwpck_require__(2250)

const defaults = __nccwpck_require__(8995)

const parse = (__nccwpck_require__(6122).parse) // parses a connection string

const val = function (key, config, envVar) {
  if (config[key]) {
    return config[key]
  }

  if (envVar === undefined) {
    envVar = process.env['PG' + key.toUpperCase()]
  } else if (envVar === false) {
    // do nothing ... use false
  } else {
    envVar = process.env[envVar]
  }

  return envVar || defaults[key]
}

const readSSLConfigFromEnvironment = function () {
  switch (process.env.PGSSLMODE) {
    case 'disable':
      return false
    case 'prefer':
    case 'require':
    case 'verify-ca':
    case 'verify-full':
      return true
    case 'no-verify':
      return { rejectUnauthorized: false }
  }
  return defaults.ssl
}

// Convert arg to a string, surround in single quotes, and escape single quotes and backslashes
const quoteParamValue = function (value) {
  return "'" + ('' + value).replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'"
}

const add = function (params, config, paramName) {
  const value = config[paramName]
  if (value !== undefined && value !== null) {
    params.push(paramName + '=' + quoteParamValue(value))
  }
}

class ConnectionParameters {
  constructor(config) {
    // if a string is passed, it is a raw connection string so we parse it into a config
    config = typeof config === 'string' ? parse(config) : config || {}

    // if the config has a connectionString defined, parse IT into the config we use
    // this will override other default values with what is stored in connectionString
    if (config.connectionString) {
      config = Object.assign({}, config, parse(config.connectionString))
    }

    this.user = val('user', config)
    this.database = val('database', config)

    if (this.database === undefined) {
      this.database = this.user
    }

    this.port = parseInt(val('port', config), 10)
    this.host = val('host', config)

    // "hiding" the password so it doesn't show up in stack traces
    // or if the client is console.logged
    Object.defineProperty(this, 'password', {
      configurable: true,
      enumerable: false,
      writable: true,
      value: val('password', config),
    })

    this.binary = val('binary', config)
    this.options = val('options', config)

    this.ssl = typeof config.ssl === 'undefined' ? readSSLConfigFromEnvironment() : config.ssl

    if (typeof this.ssl === 'string') {
      if (this.ssl === 'true') {
        this.ssl = true
      }
    }
    // support passing in ssl=no-verify via connection string
    if (this.ssl === 'no-verify') {
      this.ssl = { rejectUnauthorized: false }
    }
    if (this.ssl && this.ssl.key) {
      Object.defineProperty(this.ssl, 'key', {
        enumerable: false,
      })
    }

    // How to negotiate SSL: 'postgres' (default, the traditional SSLRequest
    // handshake) or 'direct' (start the TLS handshake immediately on connect).
    this.sslnegotiation = val('sslnegotiation', config, 'PGSSLNEGOTIATION')
    if (this.sslnegotiation !== undefined && this.sslnegotiation !== 'postgres' && this.sslnegotiation !== 'direct') {
      throw new Error(
        `Invalid sslnegotiation value: "${this.sslnegotiation}". Valid values are "postgres" and "direct".`
      )
    }
    if (this.sslnegotiation === 'direct' && !this.ssl) {
      throw new Error('sslnegotiation=direct requires SSL to be enabled')
    }

    this.client_encoding = val('client_encoding', config)
    this.replication = val('replication', config)
    // a domain socket begins with '/'
    this.isDomainSocket = !(this.host || '').indexOf('/')

    this.application_name = val('application_name', config, 'PGAPPNAME')
    this.fallback_application_name = val('fallback_application_name', config, false)
    this.statement_timeout = val('statement_timeout', config, false)
    this.lock_timeout = val('lock_timeout', config, false)
    this.idle_in_transaction_session_timeout = val('idle_in_transaction_session_timeout', config, false)
    this.query_timeout = val('query_timeout', config, false)

    if (config.connectionTimeoutMillis === undefined) {
      this.connect_timeout = process.env.PGCONNECT_TIMEOUT || 0
    } else {
      this.connect_timeout = Math.floor(config.connectionTimeoutMillis / 1000)
    }

    if (config.keepAlive === false) {
      this.keepalives = 0
    } else if (config.keepAlive === true) {
      this.keepalives = 1
    }

    if (typeof config.keepAliveInitialDelayMillis === 'number') {
      this.keepalives_idle = Math.floor(config.keepAliveInitialDelayMillis / 1000)
    }
  }

  getLibpqConnectionString(cb) {
    const params = []
    add(params, this, 'user')
    add(params, this, 'password')
    add(params, this, 'port')
    add(params, this, 'application_name')
    add(params, this, 'fallback_application_name')
    add(params, this, 'connect_timeout')
    add(params, this, 'options')

    const ssl = typeof this.ssl === 'object' ? this.ssl : this.ssl ? { sslmode: this.ssl } : {}
    add(params, ssl, 'sslmode')
    add(params, ssl, 'sslca')
    add(params, ssl, 'sslkey')
    add(params, ssl, 'sslcert')
    add(params, ssl, 'sslrootcert')
    add(params, this, 'sslnegotiation')

    if (this.database) {
      params.push('dbname=' + quoteParamValue(this.database))
    }
    if (this.replication) {
      params.push('replication=' + quoteParamValue(this.replication))
    }
    if (this.host) {
      params.push('host=' + quoteParamValue(this.host))
    }
    if (this.isDomainSocket) {
      return cb(null, params.join(' '))
    }
    if (this.client_encoding) {
      params.push('client_encoding=' + quoteParamValue(this.client_encoding))
    }
    dns.lookup(this.host, function (err, address) {
      if (err) return cb(err, null)
      params.push('hostaddr=' + quoteParamValue(address))
      return cb(null, params.join(' '))
    })
  }
}

module.exports = ConnectionParameters


/***/ }),

/***/ 9809:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const EventEmitter = (__nccwpck_require__(4434).EventEmitter)

const { parse, serialize } = __nccwpck_require__(4233)
const stream = __nccwpck_require__(829)
const { getStream } = stream

const flushBuffer = serialize.flush()
const syncBuffer = serialize.sync()
const endBuffer = serialize.end()

// TODO(bmc) support binary mode at some point
class Connection extends EventEmitter {
  constructor(config) {
    super()
    config = config || {}

    this.stream = config.stream || getStream(config.ssl)
    if (typeof this.stream === 'function') {
      this.stream = this.stream(config)
    }

    this._keepAlive = config.keepAlive
    this._keepAliveInitialDelayMillis = config.keepAliveInitialDelayMillis
    this.parsedStatements = {}
    this.submittedNamedStatements = {}
    this.ssl = config.ssl || false
    this.sslNegotiation = config.sslNegotiation || 'postgres'
    this._ending = false
    this._emitMessage = false
    const self = this
    this.on('newListener', function (eventName) {
      if (eventName === 'message') {
        self._emitMessage = true
      }
    })
  }

  connect(port, host) {
    const self = this

    this._connecting = true
    this.stream.setNoDelay(true)
    this.stream.connect(port, host)

    this.stream.once('connect', function () {
      if (self._keepAlive) {
        self.stream.setKeepAlive(true, self._keepAliveInitialDelayMillis)
      }
      self.emit('connect')
    })

    const reportStreamError = function (error) {
      // errors about disconnections should be ignored during disconnect
      if (self._ending && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
        return
      }
      self.emit('error', error)
    }
    this.stream.on('error', reportStreamError)

    this.stream.on('close', function () {
      self.emit('end')
    })

    if (!this.ssl) {
      return this.attachListeners(this.stream)
    }

    // With direct SSL negotiation the TLS handshake starts immediately on the
    // raw socket, skipping the SSLRequest packet and the server's 'S'/'N' reply.
    if (this.sslNegotiation === 'direct') {
      return this.stream.once('connect', function () {
        self.upgradeToSSL(host, reportStreamError)
      })
    }

    this.stream.once('data', function (buffer) {
      const responseCode = buffer.toString('utf8')
      switch (responseCode) {
        case 'S': // Server supports SSL connections, continue with a secure connection
          break
        case 'N': // Server does not support SSL connections
          self.stream.end()
          return self.emit('error', new Error('The server does not support SSL connections'))
        default:
          // Any other response byte, including 'E' (ErrorResponse) indicating a server error
          self.stream.end()
          return self.emit('error', new Error('There was an error establishing an SSL connection'))
      }
      self.upgradeToSSL(host, reportStreamError)
    })
  }

  upgradeToSSL(host, reportStreamError) {
    const self = this
    const options = {
      socket: self.stream,
      // tls.connect checks the server identity against `servername`, falling
      // back to `host` and then to 'localhost'. `servername` must stay unset
      // for IP addresses (see below), so `host` is needed to keep certificate
      // validation working when connecting to an IP address.
      host,
    }

    if (self.ssl !== true) {
      Object.assign(options, self.ssl)

      if ('key' in self.ssl) {
        options.key = self.ssl.key
      }
    }

    // Direct SSL negotiation requires ALPN so the server can confirm it is
    // speaking the PostgreSQL protocol over the TLS connection.
    if (self.sslNegotiation === 'direct') {
      options.ALPNProtocols = ['postgresql']
    }

    // SNI must not be set to an IP address (RFC 6066 section 3)
    const net = __nccwpck_require__(9278)
    if (net.isIP && net.isIP(host) === 0) {
      options.servername = host
    }
    try {
      self.stream = stream.getSecureStream(options)
    } catch (err) {
      return self.emit('error', err)
    }
    self.attachListeners(self.stream)
    self.stream.on('error', reportStreamError)

    self.emit('sslconnect')
  }

  attachListeners(stream) {
    parse(stream, (msg) => {
      const eventName = msg.name === 'error' ? 'errorMessage' : msg.name
      if (this._emitMessage) {
        this.emit('message', msg)
      }
      this.emit(eventName, msg)
    })
  }

  requestSsl() {
    this.stream.write(serialize.requestSsl())
  }

  startup(config) {
    this.stream.write(serialize.startup(config))
  }

  cancel(processID, secretKey) {
    this._send(serialize.cancel(processID, secretKey))
  }

  password(password) {
    this._send(serialize.password(password))
  }

  sendSASLInitialResponseMessage(mechanism, initialResponse) {
    this._send(serialize.sendSASLInitialResponseMessage(mechanism, initialResponse))
  }

  sendSCRAMClientFinalMessage(additionalData) {
    this._send(serialize.sendSCRAMClientFinalMessage(additionalData))
  }

  _send(buffer) {
    if (!this.stream.writable) {
      return false
    }
    return this.stream.write(buffer)
  }

  query(text) {
    this._send(serialize.query(text))
  }

  // send parse message
  parse(query) {
    this._send(serialize.parse(query))
  }

  // send bind message
  bind(config) {
    this._send(serialize.bind(config))
  }

  // send execute message
  execute(config) {
    this._send(serialize.execute(config))
  }

  flush() {
    if (this.stream.writable) {
      this.stream.write(flushBuffer)
    }
  }

  sync() {
    // Sync is the extended-query protocol barrier, not a disconnect.
    // Only end()/Terminate (and connect-timeout teardown) should set _ending.
    this._send(syncBuffer)
  }

  ref() {
    this.stream.ref()
  }

  unref() {
    this.stream.unref()
  }

  end() {
    // 0x58 = 'X'
    this._ending = true
    if (!this._connecting || !this.stream.writable) {
      this.stream.end()
      return
    }
    return this.stream.write(endBuffer, () => {
      this.stream.end()
    })
  }

  close(msg) {
    this._send(serialize.close(msg))
  }

  describe(msg) {
    this._send(serialize.describe(msg))
  }

  sendCopyFromChunk(chunk) {
    this._send(serialize.copyData(chunk))
  }

  endCopyFrom() {
    this._send(serialize.copyDone())
  }

  sendCopyFail(msg) {
    this._send(serialize.copyFail(msg))
  }
}

module.exports = Connection


/***/ }),

/***/ 9765:
/***/ ((module) => {

function x509Error(msg, cert) {
  return new Error('SASL channel binding: ' + msg + ' when parsing public certificate ' + cert.toString('base64'))
}

function readASN1Length(data, index) {
  let length = data[index++]
  if (length < 0x80) return { length, index }

  const lengthBytes = length & 0x7f
  if (lengthBytes > 4) throw x509Error('bad length', data)

  length = 0
  for (let i = 0; i < lengthBytes; i++) {
    length = (length << 8) | data[index++]
  }

  return { length, index }
}

function readASN1OID(data, index) {
  if (data[index++] !== 0x6) throw x509Error('non-OID data', data) // 6 = OID

  const { length: OIDLength, index: indexAfterOIDLength } = readASN1Length(data, index)
  index = indexAfterOIDLength
  const lastIndex = index + OIDLength

  const byte1 = data[index++]
  let oid = ((byte1 / 40) >> 0) + '.' + (byte1 % 40)

  while (index < lastIndex) {
    // loop over numbers in OID
    let value = 0
    while (index < lastIndex) {
      // loop over bytes in number
      const nextByte = data[index++]
      value = (value << 7) | (nextByte & 0x7f)
      if (nextByte < 0x80) break
    }
    oid += '.' + value
  }

  return { oid, index }
}

function expectASN1Seq(data, index) {
  if (data[index++] !== 0x30) throw x509Error('non-sequence data', data) // 30 = Sequence
  return readASN1Length(data, index)
}

function signatureAlgorithmHashFromCertificate(data, index) {
  // read this thread: https://www.postgresql.org/message-id/17760-b6c61e752ec07060%40postgresql.org
  if (index === undefined) index = 0
  index = expectASN1Seq(data, index).index
  const { length: certInfoLength, index: indexAfterCertInfoLength } = expectASN1Seq(data, index)
  index = indexAfterCertInfoLength + certInfoLength // skip over certificate info
  index = expectASN1Seq(data, index).index // skip over signature length field
  const { oid, index: indexAfterOID } = readASN1OID(data, index)
  switch (oid) {
    // RSA
    case '1.2.840.113549.1.1.4':
      return 'MD5'
    case '1.2.840.113549.1.1.5':
      return 'SHA-1'
    case '1.2.840.113549.1.1.11':
      return 'SHA-256'
    case '1.2.840.113549.1.1.12':
      return 'SHA-384'
    case '1.2.840.113549.1.1.13':
      return 'SHA-512'
    case '1.2.840.113549.1.1.14':
      return 'SHA-224'
    case '1.2.840.113549.1.1.15':
      return 'SHA512-224'
    case '1.2.840.113549.1.1.16':
      return 'SHA512-256'
    // ECDSA
    case '1.2.840.10045.4.1':
      return 'SHA-1'
    case '1.2.840.10045.4.3.1':
      return 'SHA-224'
    case '1.2.840.10045.4.3.2':
      return 'SHA-256'
    case '1.2.840.10045.4.3.3':
      return 'SHA-384'
    case '1.2.840.10045.4.3.4':
      return 'SHA-512'
    // RSASSA-PSS: hash is indicated separately
    case '1.2.840.113549.1.1.10': {
      index = indexAfterOID
      index = expectASN1Seq(data, index).index
      if (data[index++] !== 0xa0) throw x509Error('non-tag data', data) // a0 = constructed tag 0
      index = readASN1Length(data, index).index // skip over tag length field
      index = expectASN1Seq(data, index).index // skip over sequence length field
      const { oid: hashOID } = readASN1OID(data, index)
      switch (hashOID) {
        // standalone hash OIDs
        case '1.2.840.113549.2.5':
          return 'MD5'
        case '1.3.14.3.2.26':
          return 'SHA-1'
        case '2.16.840.1.101.3.4.2.1':
          return 'SHA-256'
        case '2.16.840.1.101.3.4.2.2':
          return 'SHA-384'
        case '2.16.840.1.101.3.4.2.3':
          return 'SHA-512'
      }
      throw x509Error('unknown hash OID ' + hashOID, data)
    }
    // Ed25519 -- see https://github.com/openssl/openssl/issues/15477
    case '1.3.101.110':
    case '1.3.101.112': // ph
      return 'SHA-512'
    // Ed448 -- still not in pg 17.2 (if supported, digest would be SHAKE256 x 64 bytes)
    case '1.3.101.111':
    case '1.3.101.113': // ph
      throw x509Error('Ed448 certificate channel binding is not currently supported by Postgres')
  }
  throw x509Error('unknown OID ' + oid, data)
}

module.exports = { signatureAlgorithmHashFromCertificate }


/***/ }),

/***/ 948:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {


const crypto = __nccwpck_require__(4150)
const { signatureAlgorithmHashFromCertificate } = __nccwpck_require__(9765)

// SASLprep (RFC 4013) — minimal in-tree implementation.
//
// Per RFC 5802 §2.2, the SCRAM-SHA-256 client must normalize the password via
// SASLprep before feeding it into PBKDF2. PostgreSQL's server applies the same
// SASLprep when computing the stored verifier, and libpq does the same client
// side, so passwords whose NFKC form differs from the raw form
// would otherwise authenticate against psql/libpq but fail against pg with `28P01`.
//
// We deliberately implement only the three steps that change the byte content:
//   1. RFC 3454 Table C.1.2 (non-ASCII space) → U+0020 SPACE.
//   2. RFC 3454 Table B.1 (commonly mapped to nothing) → empty.
//   3. NFKC normalization.
// We skip the prohibition (RFC 4013 §2.3) and bidi (RFC 3454 §6) checks.
// libpq is forgiving on those paths and Postgres's own SASLprep matches that
// leniency for legacy roles, so omitting the rejection logic keeps existing
// roles working without adding complexity.
function saslprep(password) {
  // RFC 3454 Table C.1.2 — non-ASCII space characters, mapped to U+0020.
  const nonAsciiSpace = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g
  // RFC 3454 Table B.1 — "commonly mapped to nothing". The set intentionally
  // contains zero-width joiners and variation selectors — the very characters
  // ESLint's no-misleading-character-class warns about — because they combine
  // with their neighbors and the RFC strips them for that reason.
  // eslint-disable-next-line no-misleading-character-class
  const mappedToNothing = /[\u00AD\u034F\u1806\u180B\u180C\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g
  return password.replace(nonAsciiSpace, ' ').replace(mappedToNothing, '').normalize('NFKC')
}

const DEFAULT_MAX_SCRAM_ITERATIONS = 100000

function startSession(mechanisms, stream, scramMaxIterations = DEFAULT_MAX_SCRAM_ITERATIONS) {
  const candidates = ['SCRAM-SHA-256']
  if (stream) candidates.unshift('SCRAM-SHA-256-PLUS') // higher-priority, so placed first

  const mechanism = candidates.find((candidate) => mechanisms.includes(candidate))

  if (!mechanism) {
    throw new Error('SASL: Only mechanism(s) ' + candidates.join(' and ') + ' are supported')
  }

  if (mechanism === 'SCRAM-SHA-256-PLUS' && typeof stream.getPeerCertificate !== 'function') {
    // this should never happen if we are really talking to a Postgres server
    throw new Error('SASL: Mechanism SCRAM-SHA-256-PLUS requires a certificate')
  }

  const clientNonce = crypto.randomBytes(18).toString('base64')
  const gs2Header = mechanism === 'SCRAM-SHA-256-PLUS' ? 'p=tls-server-end-point' : stream ? 'y' : 'n'

  return {
    mechanism,
    clientNonce,
    response: gs2Header + ',,n=*,r=' + clientNonce,
    message: 'SASLInitialResponse',
    scramMaxIterations,
  }
}

async function continueSession(session, password, serverData, stream) {
  if (session.message !== 'SASLInitialResponse') {
    throw new Error('SASL: Last message was not SASLInitialResponse')
  }
  if (typeof password !== 'string') {
    throw new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string')
  }
  if (password === '') {
    throw new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a non-empty string')
  }
  if (typeof serverData !== 'string') {
    throw new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: serverData must be a string')
  }

  const sv = parseServerFirstMessage(serverData)

  if (!sv.nonce.startsWith(session.clientNonce)) {
    throw new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: server nonce does not start with client nonce')
  } else if (sv.nonce.length === session.clientNonce.length) {
    throw new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: server nonce is too short')
  }

  const scramMaxIterations =
    typeof session.scramMaxIterations === 'number' ? session.scramMaxIterations : DEFAULT_MAX_SCRAM_ITERATIONS
  // a value of 0 disables the iteration count check
  if (scramMaxIterations !== 0 && sv.iteration > scramMaxIterations) {
    throw new Error(
      'SASL: SCRAM-SERVER-FIRST-MESSAGE: iteration count ' +
        sv.iteration +
        ' exceeds scramMaxIterations of ' +
        scramMaxIterations
    )
  }

  const clientFirstMessageBare = 'n=*,r=' + session.clientNonce
  const serverFirstMessage = 'r=' + sv.nonce + ',s=' + sv.salt + ',i=' + sv.iteration

  // without channel binding:
  let channelBinding = stream ? 'eSws' : 'biws' // 'y,,' or 'n,,', base64-encoded

  // override if channel binding is in use:
  if (session.mechanism === 'SCRAM-SHA-256-PLUS') {
    const peerCert = stream.getPeerCertificate().raw
    let hashName = signatureAlgorithmHashFromCertificate(peerCert)
    if (hashName === 'MD5' || hashName === 'SHA-1') hashName = 'SHA-256'
    const certHash = await crypto.hashByName(hashName, peerCert)
    const bindingData = Buffer.concat([Buffer.from('p=tls-server-end-point,,'), Buffer.from(certHash)])
    channelBinding = bindingData.toString('base64')
  }

  const clientFinalMessageWithoutProof = 'c=' + channelBinding + ',r=' + sv.nonce
  const authMessage = clientFirstMessageBare + ',' + serverFirstMessage + ',' + clientFinalMessageWithoutProof

  const saltBytes = Buffer.from(sv.salt, 'base64')
  const saltedPassword = await crypto.deriveKey(saslprep(password), saltBytes, sv.iteration)
  const clientKey = await crypto.hmacSha256(saltedPassword, 'Client Key')
  const storedKey = await crypto.sha256(clientKey)
  const clientSignature = await crypto.hmacSha256(storedKey, authMessage)
  const clientProof = xorBuffers(Buffer.from(clientKey), Buffer.from(clientSignature)).toString('base64')
  const serverKey = await crypto.hmacSha256(saltedPassword, 'Server Key')
  const serverSignatureBytes = await crypto.hmacSha256(serverKey, authMessage)

  session.message = 'SASLResponse'
  session.serverSignature = Buffer.from(serverSignatureBytes).toString('base64')
  session.response = clientFinalMessageWithoutProof + ',p=' + clientProof
}

function finalizeSession(session, serverData) {
  if (session.message !== 'SASLResponse') {
    throw new Error('SASL: Last message was not SASLResponse')
  }
  if (typeof serverData !== 'string') {
    throw new Error('SASL: SCRAM-SERVER-FINAL-MESSAGE: serverData must be a string')
  }

  const { serverSignature } = parseServerFinalMessage(serverData)

  if (serverSignature !== session.serverSignature) {
    throw new Error('SASL: SCRAM-SERVER-FINAL-MESSAGE: server signature does not match')
  }
}

/**
 * printable       = %x21-2B / %x2D-7E
 *                   ;; Printable ASCII except ",".
 *                   ;; Note that any "printable" is also
 *                   ;; a valid "value".
 */
function isPrintableChars(text) {
  if (typeof text !== 'string') {
    throw new TypeError('SASL: text must be a string')
  }
  return text
    .split('')
    .map((_, i) => text.charCodeAt(i))
    .every((c) => (c >= 0x21 && c <= 0x2b) || (c >= 0x2d && c <= 0x7e))
}

/**
 * base64-char     = ALPHA / DIGIT / "/" / "+"
 *
 * base64-4        = 4base64-char
 *
 * base64-3        = 3base64-char "="
 *
 * base64-2        = 2base64-char "=="
 *
 * base64          = *base64-4 [base64-3 / base64-2]
 */
function isBase64(text) {
  return /^(?:[a-zA-Z0-9+/]{4})*(?:[a-zA-Z0-9+/]{2}==|[a-zA-Z0-9+/]{3}=)?$/.test(text)
}

function parseAttributePairs(text) {
  if (typeof text !== 'string') {
    throw new TypeError('SASL: attribute pairs text must be a string')
  }

  return new Map(
    text.split(',').map((attrValue) => {
      if (!/^.=/.test(attrValue)) {
        throw new Error('SASL: Invalid attribute pair entry')
      }
      const name = attrValue[0]
      const value = attrValue.substring(2)
      return [name, value]
    })
  )
}

function parseServerFirstMessage(data) {
  const attrPairs = parseAttributePairs(data)

  const nonce = attrPairs.get('r')
  if (!nonce) {
    throw new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: nonce missing')
  } else if (!isPrintableChars(nonce)) {
    throw new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: nonce must only contain printable characters')
  }
  const salt = attrPairs.get('s')
  if (!salt) {
    throw new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: salt missing')
  } else if (!isBase64(salt)) {
    throw new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: salt must be base64')
  }
  const iterationText = attrPairs.get('i')
  if (!iterationText) {
    throw new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: iteration missing')
  } else if (!/^[1-9][0-9]*$/.test(iterationText)) {
    throw new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: invalid iteration count')
  }
  const iteration = parseInt(iterationText, 10)

  return {
    nonce,
    salt,
    iteration,
  }
}

function parseServerFinalMessage(serverData) {
  const attrPairs = parseAttributePairs(serverData)
  const error = attrPairs.get('e')
  const serverSignature = attrPairs.get('v')

  if (error) {
    throw new Error(`SASL: SCRAM-SERVER-FINAL-MESSAGE: server returned error: "${error}"`)
  }

  if (!serverSignature) {
    throw new Error('SASL: SCRAM-SERVER-FINAL-MESSAGE: server signature is missing')
  } else if (!isBase64(serverSignature)) {
    throw new Error('SASL: SCRAM-SERVER-FINAL-MESSAGE: server signature must be base64')
  }
  return {
    serverSignature,
  }
}

function xorBuffers(a, b) {
  if (!Buffer.isBuffer(a)) {
    throw new TypeError('first argument must be a Buffer')
  }
  if (!Buffer.isBuffer(b)) {
    throw new TypeError('second argument must be a Buffer')
  }
  if (a.length !== b.length) {
    throw new Error('Buffer lengths must match')
  }
  if (a.length === 0) {
    throw new Error('Buffers cannot be empty')
  }
  return Buffer.from(a.map((_, i) => a[i] ^ b[i]))
}

module.exports = {
  startSession,
  continueSession,
  finalizeSession,
  DEFAULT_MAX_SCRAM_ITERATIONS,
}


/***/ }),

/***/ 4150:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

const nodeCrypto = __nccwpck_require__(6982)

module.exports = {
  postgresMd5PasswordHash,
  randomBytes,
  deriveKey,
  sha256,
  hashByName,
  hmacSha256,
  md5,
}

/**
 * The Web Crypto API - grabbed from the Node.js library or the global
 * @type Crypto
 */
// eslint-disable-next-line no-undef
const webCrypto = nodeCrypto.webcrypto || globalThis.crypto
/**
 * The SubtleCrypto API for low level crypto operations.
 * @type SubtleCrypto
 */
const subtleCrypto = webCrypto.subtle
const textEncoder = new TextEncoder()

/**
 *
 * @param {*} length
 * @returns
 */
function randomBytes(length) {
  return webCrypto.getRandomValues(Buffer.alloc(length))
}

async function md5(string) {
  try {
    return nodeCrypto.createHash('md5').update(string, 'utf-8').digest('hex')
  } catch (e) {
    // `createHash()` failed so we are probably not in Node.js, use the WebCrypto API instead.
    // Note that the MD5 algorithm on WebCrypto is not available in Node.js.
    // This is why we cannot just use WebCrypto in all environments.
    const data = typeof string === 'string' ? textEncoder.encode(string) : string
    const hash = await subtleCrypto.digest('MD5', data)
    return Array.from(new Uint8Array(hash))
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('')
  }
}

// See AuthenticationMD5Password at https://www.postgresql.org/docs/current/static/protocol-flow.html
async function postgresMd5PasswordHash(user, password, salt) {
  const inner = await md5(password + user)
  const outer = await md5(Buffer.concat([Buffer.from(inner), salt]))
  return 'md5' + outer
}

/**
 * Create a SHA-256 digest of the given data
 * @param {Buffer} data
 */
async function sha256(text) {
  return await subtleCrypto.digest('SHA-256', text)
}

async function hashByName(hashName, text) {
  return await subtleCrypto.digest(hashName, text)
}

/**
 * Sign the message with the given key
 * @param {ArrayBuffer} keyBuffer
 * @param {string} msg
 */
async function hmacSha256(keyBuffer, msg) {
  const key = await subtleCrypto.importKey('raw', keyBuffer, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return await subtleCrypto.sign('HMAC', key, textEncoder.encode(msg))
}

/**
 * Derive a key from the password and salt
 * @param {string} password
 * @param {Uint8Array} salt
 * @param {number} iterations
 */
async function deriveKey(password, salt, iterations) {
  const key = await subtleCrypto.importKey('raw', textEncoder.encode(password), 'PBKDF2', false, ['deriveBits'])
  const params = { name: 'PBKDF2', hash: 'SHA-256', salt: salt, iterations: iterations }
  return await subtleCrypto.deriveBits(params, key, 32 * 8, ['deriveBits'])
}


/***/ }),

/***/ 8995:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



let user
try {
  user = process.platform === 'win32' ? process.env.USERNAME : process.env.USER
} catch {
  // ignore, e.g., Deno without --allow-env
}

module.exports = {
  // database host. defaults to localhost
  host: 'localhost',

  // database user's name
  user,

  // name of database to connect
  database: undefined,

  // database user's password
  password: null,

  // a Postgres connection string to be used instead of setting individual connection items
  // NOTE:  Setting this value will cause it to override any other value (such as database or user) defined
  // in the defaults object.
  connectionString: undefined,

  // database port
  port: 5432,

  // number of rows to return at a time from a prepared statement's
  // portal. 0 will return all rows at once
  rows: 0,

  // binary result mode
  binary: false,

  // Connection pool options - see https://github.com/brianc/node-pg-pool

  // number of connections to use in connection pool
  // 0 will disable connection pooling
  max: 10,

  // max milliseconds a client can go unused before it is removed
  // from the pool and destroyed
  idleTimeoutMillis: 30000,

  client_encoding: '',

  ssl: false,

  // SSL negotiation style: 'postgres' (traditional SSLRequest) or 'direct'
  sslnegotiation: undefined,

  application_name: undefined,

  fallback_application_name: undefined,

  options: undefined,

  parseInputDatesAsUTC: false,

  // max milliseconds any query using this connection will execute for before timing out in error.
  // false=unlimited
  statement_timeout: false,

  // Abort any statement that waits longer than the specified duration in milliseconds while attempting to acquire a lock.
  // false=unlimited
  lock_timeout: false,

  // Terminate any session with an open transaction that has been idle for longer than the specified duration in milliseconds
  // false=unlimited
  idle_in_transaction_session_timeout: false,

  // max milliseconds to wait for query to complete (client side)
  query_timeout: false,

  connect_timeout: 0,

  keepalives: 1,

  keepalives_idle: 0,
}

const pgTypes = __nccwpck_require__(1549)
// save default parsers
const parseBigInteger = pgTypes.getTypeParser(20, 'text')
const parseBigIntegerArray = pgTypes.getTypeParser(1016, 'text')

// parse int8 so you can get your count values as actual numbers
module.exports.__defineSetter__('parseInt8', function (val) {
  pgTypes.setTypeParser(20, 'text', val ? pgTypes.getTypeParser(23, 'text') : parseBigInteger)
  pgTypes.setTypeParser(1016, 'text', val ? pgTypes.getTypeParser(1007, 'text') : parseBigIntegerArray)
})


/***/ }),

/***/ 3273:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Client = __nccwpck_require__(5042)
const defaults = __nccwpck_require__(8995)
const Connection = __nccwpck_require__(9809)
const Result = __nccwpck_require__(6424)
const utils = __nccwpck_require__(9652)
const Pool = __nccwpck_require__(7558)
const TypeOverrides = __nccwpck_require__(365)
const { DatabaseError } = __nccwpck_require__(4233)
const { escapeIdentifier, escapeLiteral } = __nccwpck_require__(9652)

const poolFactory = (Client) => {
  return class BoundPool extends Pool {
    constructor(options) {
      super(options, Client)
    }
  }
}

const PG = function (clientConstructor) {
  this.defaults = defaults
  this.Client = clientConstructor
  this.Query = this.Client.Query
  this.Pool = poolFactory(this.Client)
  this._pools = []
  this.Connection = Connection
  this.types = __nccwpck_require__(1549)
  this.DatabaseError = DatabaseError
  this.TypeOverrides = TypeOverrides
  this.escapeIdentifier = escapeIdentifier
  this.escapeLiteral = escapeLiteral
  this.Result = Result
  this.utils = utils
}

let clientConstructor = Client

let forceNative = false
try {
  forceNative = !!process.env.NODE_PG_FORCE_NATIVE
} catch {
  // ignore, e.g., Deno without --allow-env
}

if (forceNative) {
  clientConstructor = __nccwpck_require__(5301)
}

module.exports = new PG(clientConstructor)

// lazy require native module...the native module may not have installed
Object.defineProperty(module.exports, "native", ({
  configurable: true,
  enumerable: false,
  get() {
    let native = null
    try {
      native = new PG(__nccwpck_require__(5301))
    } catch (err) {
      if (err.code !== 'MODULE_NOT_FOUND') {
        throw err
      }
    }

    // overwrite module.exports.native so that getter is never called again
    Object.defineProperty(module.exports, "native", ({
      value: native,
    }))

    return native
  },
}))


/***/ }),

/***/ 8942:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

const nodeUtils = __nccwpck_require__(9023)
// eslint-disable-next-line
var Native
// eslint-disable-next-line no-useless-catch
try {
  // Wrap this `require()` in a try-catch to avoid upstream bundlers from complaining that this might not be available since it is an optional import
  Native = __nccwpck_require__(4390)
} catch (e) {
  throw e
}
const TypeOverrides = __nccwpck_require__(365)
const EventEmitter = (__nccwpck_require__(4434).EventEmitter)
const util = __nccwpck_require__(9023)
const ConnectionParameters = __nccwpck_require__(8265)

const NativeQuery = __nccwpck_require__(7581)

const queryQueueLengthDeprecationNotice = nodeUtils.deprecate(
  () => {},
  'Calling client.query() when the client is already executing a query is deprecated and will be removed in pg@9.0. Use async/await or an external async flow control mechanism instead.'
)

const Client = (module.exports = function (config) {
  EventEmitter.call(this)
  config = config || {}

  this._Promise = config.Promise || global.Promise
  this._types = new TypeOverrides(config.types)

  this.native = new Native({
    types: this._types,
  })

  this._queryQueue = []
  this._ending = false
  this._connecting = false
  this._connected = false
  this._queryable = true
  this.pipeline = Boolean(config.pipeline)
  this._pipelineInFlight = false

  // keep these on the object for legacy reasons
  // for the time being. TODO: deprecate all this jazz
  const cp = (this.connectionParameters = new ConnectionParameters(config))
  if (config.nativeConnectionString) cp.nativeConnectionString = config.nativeConnectionString
  this.user = cp.user

  // "hiding" the password so it doesn't show up in stack traces
  // or if the client is console.logged
  Object.defineProperty(this, 'password', {
    configurable: true,
    enumerable: false,
    writable: true,
    value: cp.password,
  })
  this.database = cp.database
  this.host = cp.host
  this.port = cp.port

  // a hash to hold named queries
  this.namedQueries = {}
})

Client.Query = NativeQuery

util.inherits(Client, EventEmitter)

Client.prototype._errorAllQueries = function (err) {
  const enqueueError = (query) => {
    process.nextTick(() => {
      query.native = this.native
      query.handleError(err)
    })
  }

  if (this._hasActiveQuery()) {
    enqueueError(this._activeQuery)
    this._activeQuery = null
  }

  this._queryQueue.forEach(enqueueError)
  this._queryQueue.length = 0
}

// connect to the backend
// pass an optional callback to be called once connected
// or with an error if there was a connection error
Client.prototype._connect = function (cb) {
  const self = this

  if (this._connecting) {
    process.nextTick(() => cb(new Error('Client has already been connected. You cannot reuse a client.')))
    return
  }

  this._connecting = true

  this.connectionParameters.getLibpqConnectionString(function (err, conString) {
    if (self.connectionParameters.nativeConnectionString) conString = self.connectionParameters.nativeConnectionString
    if (err) return cb(err)
    self.native.connect(conString, function (err) {
      if (err) {
        self.native.end()
        return cb(err)
      }

      // set internal states to connected
      self._connected = true

      // handle connection errors from the native layer
      self.native.on('error', function (err) {
        self._queryable = false
        self._errorAllQueries(err)
        self.emit('error', err)
      })

      self.native.on('notification', function (msg) {
        self.emit('notification', {
          channel: msg.relname,
          payload: msg.extra,
        })
      })

      // signal we are connected now
      self.emit('connect')
      self._pulseQueryQueue(true)

      cb(null, this)
    })
  })
}

Client.prototype.connect = function (callback) {
  if (callback) {
    this._connect(callback)
    return
  }

  return new this._Promise((resolve, reject) => {
    this._connect((error) => {
      if (error) {
        reject(error)
      } else {
        resolve(this)
      }
    })
  })
}

// send a query to the server
// this method is highly overloaded to take
// 1) string query, optional array of parameters, optional function callback
// 2) object query with {
//    string query
//    optional array values,
//    optional function callback instead of as a separate parameter
//    optional string name to name & cache the query plan
//    optional string rowMode = 'array' for an array of results
//  }
Client.prototype.query = function (config, values, callback) {
  let query
  let result
  let readTimeout
  let readTimeoutTimer
  let queryCallback

  if (config === null || config === undefined) {
    throw new TypeError('Client was passed a null or undefined query')
  } else if (typeof config.submit === 'function') {
    readTimeout = config.query_timeout || this.connectionParameters.query_timeout
    result = query = config
    // accept query(new Query(...), (err, res) => { }) style
    if (typeof values === 'function') {
      config.callback = values
    }
  } else {
    readTimeout = config.query_timeout || this.connectionParameters.query_timeout
    query = new NativeQuery(config, values, callback)
    if (!query.callback) {
      let resolveOut, rejectOut
      result = new this._Promise((resolve, reject) => {
        resolveOut = resolve
        rejectOut = reject
      }).catch((err) => {
        Error.captureStackTrace(err)
        throw err
      })
      query.callback = (err, res) => (err ? rejectOut(err) : resolveOut(res))
    }
  }

  if (readTimeout) {
    queryCallback = query.callback || (() => {})

    readTimeoutTimer = setTimeout(() => {
      const error = new Error('Query read timeout')

      process.nextTick(() => {
        query.handleError(error, this.connection)
      })

      queryCallback(error)

      // we already returned an error,
      // just do nothing if query completes
      query.callback = () => {}

      // Remove from queue
      const index = this._queryQueue.indexOf(query)
      if (index > -1) {
        this._queryQueue.splice(index, 1)
      }

      this._pulseQueryQueue()
    }, readTimeout)

    query.callback = (err, res) => {
      clearTimeout(readTimeoutTimer)
      queryCallback(err, res)
    }
  }

  if (!this._queryable) {
    query.native = this.native
    process.nextTick(() => {
      query.handleError(new Error('Client has encountered a connection error and is not queryable'))
    })
    return result
  }

  if (this._ending) {
    query.native = this.native
    process.nextTick(() => {
      query.handleError(new Error('Client was closed and is not queryable'))
    })
    return result
  }

  if (this._queryQueue.length > 0 && !this.pipeline) {
    queryQueueLengthDeprecationNotice()
  }

  this._queryQueue.push(query)
  this._pulseQueryQueue()
  return result
}

// disconnect from the backend server
Client.prototype.end = function (cb) {
  const self = this

  this._ending = true

  if (this._connecting && !this._connected) {
    this.once('connect', () => {
      this.end(() => {})
    })
  }
  let result
  if (!cb) {
    result = new this._Promise(function (resolve, reject) {
      cb = (err) => (err ? reject(err) : resolve())
    })
  }

  const doEnd = function () {
    self.native.end(function () {
      self._connected = false

      self._errorAllQueries(new Error('Connection terminated'))

      process.nextTick(() => {
        self.emit('end')
        if (cb) cb()
      })
    })
  }

  // If pipeline has in-flight or queued queries, wait for them to drain before closing
  if (this.pipeline && (this._pipelineInFlight || this._queryQueue.length > 0)) {
    this.once('drain', doEnd)
  } else {
    doEnd()
  }
  return result
}

Client.prototype._hasActiveQuery = function () {
  return this._activeQuery && this._activeQuery.state !== 'error' && this._activeQuery.state !== 'end'
}

Client.prototype._pulseQueryQueue = function (initialConnection) {
  if (!this._connected) {
    return
  }
  if (this.pipeline && !initialConnection) {
    return this._pulsePipelinedQueryQueue()
  }
  if (this._hasActiveQuery()) {
    return
  }
  const query = this._queryQueue.shift()
  if (!query) {
    if (!initialConnection) {
      this.emit('drain')
    }
    return
  }
  this._activeQuery = query
  query.submit(this)
  const self = this
  query.once('_done', function () {
    self._pulseQueryQueue()
  })
}

Client.prototype._pulsePipelinedQueryQueue = function () {
  if (!this._connected || this._pipelineInFlight) {
    return
  }
  if (this._queryQueue.length === 0) {
    if (this.hasExecuted) {
      this.emit('drain')
    }
    return
  }

  this._pipelineInFlight = true
  const self = this
  const queries = []
  const nativeQueries = []
  const utils = __nccwpck_require__(9652)

  while (this._queryQueue.length > 0) {
    const query = this._queryQueue.shift()
    this.hasExecuted = true
    nativeQueries.push(query)

    const values = query.values ? query.values.map(utils.prepareValue) : null
    const pipelineEntry = { text: query.text, name: query.name, arrayMode: query._arrayMode }
    if (values) {
      pipelineEntry.values = values
    }
    if (query.name && this.namedQueries[query.name]) {
      pipelineEntry._alreadyPrepared = true
    }
    queries.push(pipelineEntry)
  }

  this.native.pipeline(queries, function (err, results) {
    self._pipelineInFlight = false

    if (err) {
      // Total pipeline failure. Per-query errors arrive on results[i].err, so reaching here means
      // the connection itself is gone: mark it unusable and say so, the way the JS client and the
      // non-pipelined native path both do. Without this the client looks healthy after losing its
      // backend, a Pool never discards it, and everything routed to it fails one query at a time
      // for the life of the process.
      self._connected = false
      self._queryable = false
      for (let i = 0; i < nativeQueries.length; i++) {
        const q = nativeQueries[i]
        q.native = self.native
        q.handleError(err)
      }
      self._errorAllQueries(err)
      self.emit('error', err)
      self.emit('end')
      return
    }

    // Deliver results to each query
    for (let i = 0; i < nativeQueries.length; i++) {
      const q = nativeQueries[i]
      const r = results[i]
      q.native = self.native

      if (r.err) {
        q.handleError(r.err)
      } else {
        // Track named queries on success
        if (q.name) {
          self.namedQueries[q.name] = q.text
        }
        q.state = 'end'
        q.emit('end', r.result)
        if (q.callback) {
          q.callback(null, r.result)
        }
      }

      setImmediate(function () {
        q.emit('_done')
      })
    }

    // Process any queries that arrived while we were reading
    self._pulsePipelinedQueryQueue()
  })
}

// attempt to cancel an in-progress query
Client.prototype.cancel = function (query) {
  if (this._activeQuery === query) {
    this.native.cancel(function () {})
  } else if (this._queryQueue.indexOf(query) !== -1) {
    this._queryQueue.splice(this._queryQueue.indexOf(query), 1)
  }
}

Client.prototype.ref = function () {}
Client.prototype.unref = function () {}

Client.prototype.setTypeParser = function (oid, format, parseFn) {
  return this._types.setTypeParser(oid, format, parseFn)
}

Client.prototype.getTypeParser = function (oid, format) {
  return this._types.getTypeParser(oid, format)
}

Client.prototype.isConnected = function () {
  return this._connected
}

Client.prototype.getTransactionStatus = function () {
  return this.native.getTransactionStatus()
}


/***/ }),

/***/ 5301:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {


module.exports = __nccwpck_require__(8942)


/***/ }),

/***/ 7581:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const EventEmitter = (__nccwpck_require__(4434).EventEmitter)
const util = __nccwpck_require__(9023)
const utils = __nccwpck_require__(9652)

const NativeQuery = (module.exports = function (config, values, callback) {
  EventEmitter.call(this)
  config = utils.normalizeQueryConfig(config, values, callback)
  this.text = config.text
  this.values = config.values
  this.name = config.name
  this.queryMode = config.queryMode
  this.callback = config.callback
  this.state = 'new'
  this._arrayMode = config.rowMode === 'array'

  // if the 'row' event is listened for
  // then emit them as they come in
  // without setting singleRowMode to true
  // this has almost no meaning because libpq
  // reads all rows into memory before returning any
  this._emitRowEvents = false
  this.on(
    'newListener',
    function (event) {
      if (event === 'row') this._emitRowEvents = true
    }.bind(this)
  )
})

util.inherits(NativeQuery, EventEmitter)

const errorFieldMap = {
  sqlState: 'code',
  statementPosition: 'position',
  messagePrimary: 'message',
  messageDetail: 'detail',
  messageHint: 'hint',
  context: 'where',
  schemaName: 'schema',
  tableName: 'table',
  columnName: 'column',
  dataTypeName: 'dataType',
  constraintName: 'constraint',
  sourceFile: 'file',
  sourceLine: 'line',
  sourceFunction: 'routine',
}

NativeQuery.prototype.handleError = function (err) {
  // copy pq error fields into the error object
  const fields = this.native && this.native.pq.resultErrorFields()
  if (fields) {
    for (const key in fields) {
      const normalizedFieldName = errorFieldMap[key] || key
      err[normalizedFieldName] = fields[key]
    }
  }
  if (this.callback) {
    this.callback(err)
  } else {
    this.emit('error', err)
  }
  this.state = 'error'
}

NativeQuery.prototype.then = function (onSuccess, onFailure) {
  return this._getPromise().then(onSuccess, onFailure)
}

NativeQuery.prototype.catch = function (callback) {
  return this._getPromise().catch(callback)
}

NativeQuery.prototype._getPromise = function () {
  if (this._promise) return this._promise
  this._promise = new Promise(
    function (resolve, reject) {
      this._once('end', resolve)
      this._once('error', reject)
    }.bind(this)
  )
  return this._promise
}

NativeQuery.prototype.submit = function (client) {
  this.state = 'running'
  const self = this
  this.native = client.native
  client.native.arrayMode = this._arrayMode

  let after = function (err, rows, results) {
    client.native.arrayMode = false
    setImmediate(function () {
      self.emit('_done')
    })

    // handle possible query error
    if (err) {
      return self.handleError(err)
    }

    // emit row events for each row in the result
    if (self._emitRowEvents) {
      if (results.length > 1) {
        rows.forEach((rowOfRows, i) => {
          rowOfRows.forEach((row) => {
            self.emit('row', row, results[i])
          })
        })
      } else {
        rows.forEach(function (row) {
          self.emit('row', row, results)
        })
      }
    }

    // handle successful result
    self.state = 'end'
    self.emit('end', results)
    if (self.callback) {
      self.callback(null, results)
    }
  }

  if (process.domain) {
    after = process.domain.bind(after)
  }

  // named query
  if (this.name) {
    if (this.name.length > 63) {
      console.error('Warning! Postgres only supports 63 characters for query names.')
      console.error('You supplied %s (%s)', this.name, this.name.length)
      console.error('This can cause conflicts and silent errors executing queries')
    }
    const values = (this.values || []).map(utils.prepareValue)

    // check if the client has already executed this named query
    // if so...just execute it again - skip the planning phase
    if (client.namedQueries[this.name] !== undefined) {
      if (this.text && client.namedQueries[this.name] !== this.text) {
        const err = new Error(`Prepared statements must be unique - '${this.name}' was used for a different statement`)
        return after(err)
      }
      return client.native.execute(this.name, values, after)
    }
    // plan the named query the first time, then execute it
    return client.native.prepare(this.name, this.text, values.length, function (err) {
      if (err) return after(err)
      client.namedQueries[self.name] = self.text
      return self.native.execute(self.name, values, after)
    })
  } else if (this.values) {
    if (!Array.isArray(this.values)) {
      const err = new Error('Query values must be an array')
      return after(err)
    }
    const vals = this.values.map(utils.prepareValue)
    client.native.query(this.text, vals, after)
  } else if (this.queryMode === 'extended') {
    client.native.query(this.text, [], after)
  } else {
    client.native.query(this.text, after)
  }
}


/***/ }),

/***/ 4473:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const { EventEmitter } = __nccwpck_require__(4434)

const Result = __nccwpck_require__(6424)
const utils = __nccwpck_require__(9652)

class Query extends EventEmitter {
  constructor(config, values, callback) {
    super()

    config = utils.normalizeQueryConfig(config, values, callback)

    this.text = config.text
    this.values = config.values
    this.rows = config.rows
    this.types = config.types
    this.name = config.name
    this.queryMode = config.queryMode
    this.binary = config.binary
    // use unique portal name each time
    this.portal = config.portal || ''
    this.callback = config.callback
    this._rowMode = config.rowMode
    if (process.domain && config.callback) {
      this.callback = process.domain.bind(config.callback)
    }
    this._result = new Result(this._rowMode, this.types)

    // potential for multiple results
    this._results = this._result
    this._canceledDueToError = false
  }

  requiresPreparation() {
    if (this.queryMode === 'extended') {
      return true
    }

    // named queries must always be prepared
    if (this.name) {
      return true
    }
    // always prepare if there are max number of rows expected per
    // portal execution
    if (this.rows) {
      return true
    }
    // don't prepare empty text queries
    if (!this.text) {
      return false
    }
    // prepare if there are values
    if (!this.values) {
      return false
    }
    return this.values.length > 0
  }

  _checkForMultirow() {
    // if we already have a result with a command property
    // then we've already executed one query in a multi-statement simple query
    // turn our results into an array of results
    if (this._result.command) {
      if (!Array.isArray(this._results)) {
        this._results = [this._result]
      }
      this._result = new Result(this._rowMode, this._result._types)
      this._results.push(this._result)
    }
  }

  // associates row metadata from the supplied
  // message with this query object
  // metadata used when parsing row results
  handleRowDescription(msg) {
    this._checkForMultirow()
    this._result.addFields(msg.fields)
    this._accumulateRows = this.callback || !this.listeners('row').length
  }

  handleDataRow(msg) {
    let row

    if (this._canceledDueToError) {
      return
    }

    try {
      row = this._result.parseRow(msg.fields)
    } catch (err) {
      this._canceledDueToError = err
      return
    }

    this.emit('row', row, this._result)
    if (this._accumulateRows) {
      this._result.addRow(row)
    }
  }

  handleCommandComplete(msg, connection) {
    this._checkForMultirow()
    this._result.addCommandComplete(msg)
    // need to sync after each command complete of a prepared statement
    // if we were using a row count which results in multiple calls to _getRows
    if (this.rows) {
      connection.sync()
    }
  }

  // if a named prepared statement is created with empty query text
  // the backend will send an emptyQuery message but *not* a command complete message
  // since we pipeline sync immediately after execute we don't need to do anything here
  // unless we have rows specified, in which case we did not pipeline the initial sync call
  handleEmptyQuery(connection) {
    if (this.rows) {
      connection.sync()
    }
  }

  handleError(err, connection) {
    // need to sync after error during a prepared statement
    if (this._canceledDueToError) {
      err = this._canceledDueToError
      this._canceledDueToError = false
    }
    // if callback supplied do not emit error event as uncaught error
    // events will bubble up to node process
    if (this.callback) {
      return this.callback(err)
    }
    this.emit('error', err)
  }

  handleReadyForQuery(con) {
    if (this._canceledDueToError) {
      return this.handleError(this._canceledDueToError, con)
    }
    if (this.callback) {
      try {
        this.callback(null, this._results)
      } catch (err) {
        process.nextTick(() => {
          throw err
        })
      }
    }
    this.emit('end', this._results)
  }

  submit(connection) {
    if (typeof this.text !== 'string' && typeof this.name !== 'string') {
      return new Error('A query must have either text or a name. Supplying neither is unsupported.')
    }
    const previous = connection.parsedStatements[this.name] || connection.submittedNamedStatements[this.name]
    if (this.text && previous && this.text !== previous) {
      return new Error(`Prepared statements must be unique - '${this.name}' was used for a different statement`)
    }
    if (this.values && !Array.isArray(this.values)) {
      return new Error('Query values must be an array')
    }
    if (this.requiresPreparation()) {
      // If we're using the extended query protocol we fire off several separate commands
      // to the backend. On some versions of node & some operating system versions
      // the network stack writes each message separately instead of buffering them together
      // causing the client & network to send more slowly. Corking & uncorking the stream
      // allows node to buffer up the messages internally before sending them all off at once.
      // note: we're checking for existence of cork/uncork because some versions of streams
      // might not have this (cloudflare?)
      connection.stream.cork && connection.stream.cork()
      try {
        this.prepare(connection)
      } finally {
        // while unlikely for this.prepare to throw, if it does & we don't uncork this stream
        // this client becomes unresponsive, so put in finally block "just in case"
        connection.stream.uncork && connection.stream.uncork()
      }
    } else {
      connection.query(this.text)
    }
    return null
  }

  hasBeenParsed(connection) {
    return (
      this.name &&
      (connection.parsedStatements[this.name] !== undefined ||
        connection.submittedNamedStatements[this.name] !== undefined)
    )
  }

  handlePortalSuspended(connection) {
    this._getRows(connection, this.rows)
  }

  _getRows(connection, rows) {
    connection.execute({
      portal: this.portal,
      rows: rows,
    })
    // if we're not reading pages of rows send the sync command
    // to indicate the pipeline is finished
    if (!rows) {
      connection.sync()
    } else {
      // otherwise flush the call out to read more rows
      connection.flush()
    }
  }

  // http://developer.postgresql.org/pgdocs/postgres/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
  prepare(connection) {
    // TODO refactor this poor encapsulation
    if (!this.hasBeenParsed(connection)) {
      connection.parse({
        text: this.text,
        name: this.name,
        types: this.types,
      })
      if (this.name) {
        connection.submittedNamedStatements[this.name] = this.text
      }
    }

    // because we're mapping user supplied values to
    // postgres wire protocol compatible values it could
    // throw an exception, so try/catch this section
    try {
      connection.bind({
        portal: this.portal,
        statement: this.name,
        values: this.values,
        binary: this.binary,
        valueMapper: utils.prepareValue,
      })
    } catch (err) {
      // we should close parse to avoid leaking connections
      connection.close({ type: 'S', name: this.name })
      connection.sync()

      this.handleError(err, connection)
      return
    }

    connection.describe({
      type: 'P',
      name: this.portal || '',
    })

    this._getRows(connection, this.rows)
  }

  handleCopyInResponse(connection) {
    connection.sendCopyFail('No source stream defined')
  }

  handleCopyData(msg, connection) {
    // noop
  }
}

module.exports = Query


/***/ }),

/***/ 6424:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const types = __nccwpck_require__(1549)

const matchRegexp = /^([A-Za-z]+)(?: (\d+))?(?: (\d+))?/

// result object returned from query
// in the 'end' event and also
// passed as second argument to provided callback
class Result {
  constructor(rowMode, types) {
    this.command = null
    this.rowCount = null
    this.oid = null
    this.rows = []
    this.fields = []
    this._parsers = undefined
    this._types = types
    this.RowCtor = null
    this.rowAsArray = rowMode === 'array'
    if (this.rowAsArray) {
      this.parseRow = this._parseRowAsArray
    }
    this._prebuiltEmptyResultObject = null
  }

  // adds a command complete message
  addCommandComplete(msg) {
    let match
    if (msg.text) {
      // pure javascript
      match = matchRegexp.exec(msg.text)
    } else {
      // native bindings
      match = matchRegexp.exec(msg.command)
    }
    if (match) {
      this.command = match[1]
      if (match[3]) {
        // COMMAND OID ROWS
        this.oid = parseInt(match[2], 10)
        this.rowCount = parseInt(match[3], 10)
      } else if (match[2]) {
        // COMMAND ROWS
        this.rowCount = parseInt(match[2], 10)
      }
    }
  }

  _parseRowAsArray(rowData) {
    const row = new Array(rowData.length)
    for (let i = 0, len = rowData.length; i < len; i++) {
      const rawValue = rowData[i]
      if (rawValue !== null) {
        row[i] = this._parsers[i](rawValue)
      } else {
        row[i] = null
      }
    }
    return row
  }

  parseRow(rowData) {
    const row = { ...this._prebuiltEmptyResultObject }
    for (let i = 0, len = rowData.length; i < len; i++) {
      const rawValue = rowData[i]
      const field = this.fields[i].name
      if (rawValue !== null) {
        const v = this.fields[i].format === 'binary' ? Buffer.from(rawValue) : rawValue
        row[field] = this._parsers[i](v)
      } else {
        row[field] = null
      }
    }
    return row
  }

  addRow(row) {
    this.rows.push(row)
  }

  addFields(fieldDescriptions) {
    // clears field definitions
    // multiple query statements in 1 action can result in multiple sets
    // of rowDescriptions...eg: 'select NOW(); select 1::int;'
    // you need to reset the fields
    this.fields = fieldDescriptions
    if (this.fields.length) {
      this._parsers = new Array(fieldDescriptions.length)
    }

    const row = Object.create(null)

    for (let i = 0; i < fieldDescriptions.length; i++) {
      const desc = fieldDescriptions[i]
      row[desc.name] = null

      if (this._types) {
        this._parsers[i] = this._types.getTypeParser(desc.dataTypeID, desc.format || 'text')
      } else {
        this._parsers[i] = types.getTypeParser(desc.dataTypeID, desc.format || 'text')
      }
    }

    this._prebuiltEmptyResultObject = { ...row }
  }
}

module.exports = Result


/***/ }),

/***/ 829:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

const { getStream, getSecureStream } = getStreamFuncs()

module.exports = {
  /**
   * Get a socket stream compatible with the current runtime environment.
   * @returns {Duplex}
   */
  getStream,
  /**
   * Get a TLS secured socket, compatible with the current environment,
   * using the socket and other settings given in `options`.
   * @returns {Duplex}
   */
  getSecureStream,
}

/**
 * The stream functions that work in Node.js
 */
function getNodejsStreamFuncs() {
  function getStream(ssl) {
    const net = __nccwpck_require__(9278)
    return new net.Socket()
  }

  function getSecureStream(options) {
    const tls = __nccwpck_require__(4756)
    return tls.connect(options)
  }
  return {
    getStream,
    getSecureStream,
  }
}

/**
 * The stream functions that work in Cloudflare Workers
 */
function getCloudflareStreamFuncs() {
  function getStream(ssl) {
    const { CloudflareSocket } = __nccwpck_require__(785)
    return new CloudflareSocket(ssl)
  }

  function getSecureStream(options) {
    options.socket.startTls(options)
    return options.socket
  }
  return {
    getStream,
    getSecureStream,
  }
}

/**
 * Are we running in a Cloudflare Worker?
 *
 * @returns true if the code is currently running inside a Cloudflare Worker.
 */
function isCloudflareRuntime() {
  // Since 2022-03-21 the `global_navigator` compatibility flag is on for Cloudflare Workers
  // which means that `navigator.userAgent` will be defined.
  // eslint-disable-next-line no-undef
  if (typeof navigator === 'object' && navigator !== null && typeof navigator.userAgent === 'string') {
    // eslint-disable-next-line no-undef
    return navigator.userAgent === 'Cloudflare-Workers'
  }
  // In case `navigator` or `navigator.userAgent` is not defined then try a more sneaky approach
  if (typeof Response === 'function') {
    const resp = new Response(null, { cf: { thing: true } })
    if (typeof resp.cf === 'object' && resp.cf !== null && resp.cf.thing) {
      return true
    }
  }
  return false
}

function getStreamFuncs() {
  if (isCloudflareRuntime()) {
    return getCloudflareStreamFuncs()
  }
  return getNodejsStreamFuncs()
}


/***/ }),

/***/ 365:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const types = __nccwpck_require__(1549)

function TypeOverrides(userTypes) {
  this._types = userTypes || types
  this.text = {}
  this.binary = {}
}

TypeOverrides.prototype.getOverrides = function (format) {
  switch (format) {
    case 'text':
      return this.text
    case 'binary':
      return this.binary
    default:
      return {}
  }
}

TypeOverrides.prototype.setTypeParser = function (oid, format, parseFn) {
  if (typeof format === 'function') {
    parseFn = format
    format = 'text'
  }
  this.getOverrides(format)[oid] = parseFn
}

TypeOverrides.prototype.getTypeParser = function (oid, format) {
  format = format || 'text'
  return this.getOverrides(format)[oid] || this._types.getTypeParser(oid, format)
}

module.exports = TypeOverrides


/***/ }),

/***/ 9652:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const defaults = __nccwpck_require__(8995)
const nodeUtils = __nccwpck_require__(9023)

const { isDate } = __nccwpck_require__(8253)

const invalidDateDeprecationNotice = nodeUtils.deprecate(
  () => {},
  'Sending an invalid date to Postgres is deprecated and will throw an error in the next major version of pg. Ensure any Date object passed as a query parameter is valid.',
  'PG_INVALID_DATE'
)

function escapeElement(elementRepresentation) {
  const escaped = elementRepresentation.replace(/\\/g, '\\\\').replace(/"/g, '\\"')

  return '"' + escaped + '"'
}

// convert a JS array to a postgres array literal
// uses comma separator so won't work for types like box that use
// a different array separator.
function arrayString(val) {
  let result = '{'
  for (let i = 0; i < val.length; i++) {
    if (i > 0) {
      result += ','
    }
    let item = val[i]
    if (item == null) {
      result += 'NULL'
    } else if (Array.isArray(item)) {
      result += arrayString(item)
    } else if (ArrayBuffer.isView(item)) {
      if (!(item instanceof Buffer)) {
        item = Buffer.from(item.buffer, item.byteOffset, item.byteLength)
      }
      result += '\\\\x' + item.toString('hex')
    } else {
      result += escapeElement(prepareValue(item))
    }
  }
  result += '}'
  return result
}

// converts values from javascript types
// to their 'raw' counterparts for use as a postgres parameter
// note: you can override this function to provide your own conversion mechanism
// for complex types, etc...
const prepareValue = function (val, seen) {
  // null and undefined are both null for postgres
  if (val == null) {
    return null
  }
  if (typeof val === 'object') {
    if (val instanceof Buffer) {
      return val
    }
    if (ArrayBuffer.isView(val)) {
      return Buffer.from(val.buffer, val.byteOffset, val.byteLength)
    }
    if (isDate(val)) {
      if (isNaN(val.getTime())) {
        invalidDateDeprecationNotice()
      }
      if (defaults.parseInputDatesAsUTC) {
        return dateToStringUTC(val)
      } else {
        return dateToString(val)
      }
    }
    if (Array.isArray(val)) {
      return arrayString(val)
    }

    return prepareObject(val, seen)
  }
  return val.toString()
}

function prepareObject(val, seen) {
  if (val && typeof val.toPostgres === 'function') {
    seen = seen || []
    if (seen.indexOf(val) !== -1) {
      throw new Error('circular reference detected while preparing "' + val + '" for query')
    }
    seen.push(val)

    return prepareValue(val.toPostgres(prepareValue), seen)
  }
  return JSON.stringify(val)
}

function dateToString(date) {
  let offset = -date.getTimezoneOffset()

  let year = date.getFullYear()
  const isBCYear = year < 1
  if (isBCYear) year = Math.abs(year) + 1 // negative years are 1 off their BC representation

  let ret =
    String(year).padStart(4, '0') +
    '-' +
    String(date.getMonth() + 1).padStart(2, '0') +
    '-' +
    String(date.getDate()).padStart(2, '0') +
    'T' +
    String(date.getHours()).padStart(2, '0') +
    ':' +
    String(date.getMinutes()).padStart(2, '0') +
    ':' +
    String(date.getSeconds()).padStart(2, '0') +
    '.' +
    String(date.getMilliseconds()).padStart(3, '0')

  if (offset < 0) {
    ret += '-'
    offset *= -1
  } else {
    ret += '+'
  }

  ret += String(Math.floor(offset / 60)).padStart(2, '0') + ':' + String(offset % 60).padStart(2, '0')
  if (isBCYear) ret += ' BC'
  return ret
}

function dateToStringUTC(date) {
  let year = date.getUTCFullYear()
  const isBCYear = year < 1
  if (isBCYear) year = Math.abs(year) + 1 // negative years are 1 off their BC representation

  let ret =
    String(year).padStart(4, '0') +
    '-' +
    String(date.getUTCMonth() + 1).padStart(2, '0') +
    '-' +
    String(date.getUTCDate()).padStart(2, '0') +
    'T' +
    String(date.getUTCHours()).padStart(2, '0') +
    ':' +
    String(date.getUTCMinutes()).padStart(2, '0') +
    ':' +
    String(date.getUTCSeconds()).padStart(2, '0') +
    '.' +
    String(date.getUTCMilliseconds()).padStart(3, '0')

  ret += '+00:00'
  if (isBCYear) ret += ' BC'
  return ret
}

function normalizeQueryConfig(config, values, callback) {
  // can take in strings or config objects
  // Copy config so normalization does not mutate the caller's object.
  config = typeof config === 'string' ? { text: config } : cloneQueryConfig(config)
  if (values) {
    if (typeof values === 'function') {
      config.callback = values
    } else {
      config.values = values
    }
  }
  if (callback) {
    config.callback = callback
  }
  return config
}

function cloneQueryConfig(config) {
  if (config == null) {
    return config
  }
  return Object.defineProperties(Object.create(Object.getPrototypeOf(config)), Object.getOwnPropertyDescriptors(config))
}

// Ported from PostgreSQL 9.2.4 source code in src/interfaces/libpq/fe-exec.c
const escapeIdentifier = function (str) {
  return '"' + str.replace(/"/g, '""') + '"'
}

const escapeLiteral = function (str) {
  let hasBackslash = false
  let escaped = "'"

  if (str == null) {
    return "''"
  }

  if (typeof str !== 'string') {
    return "''"
  }

  for (let i = 0; i < str.length; i++) {
    const c = str[i]
    if (c === "'") {
      escaped += c + c
    } else if (c === '\\') {
      escaped += c + c
      hasBackslash = true
    } else {
      escaped += c
    }
  }

  escaped += "'"

  if (hasBackslash === true) {
    escaped = ' E' + escaped
  }

  return escaped
}

module.exports = {
  prepareValue: function prepareValueWrapper(value) {
    // this ensures that extra arguments do not get passed into prepareValue
    // by accident, eg: from calling values.map(utils.prepareValue)
    return prepareValue(value)
  },
  normalizeQueryConfig,
  escapeIdentifier,
  escapeLiteral,
}


/***/ }),

/***/ 8702:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



var path = __nccwpck_require__(6928)
  , Stream = (__nccwpck_require__(2203).Stream)
  , split = __nccwpck_require__(5286)
  , util = __nccwpck_require__(9023)
  , defaultPort = 5432
  , isWin = (process.platform === 'win32')
  , warnStream = process.stderr
;


var S_IRWXG = 56     //    00070(8)
  , S_IRWXO = 7      //    00007(8)
  , S_IFMT  = 61440  // 00170000(8)
  , S_IFREG = 32768  //  0100000(8)
;
function isRegFile(mode) {
    return ((mode & S_IFMT) == S_IFREG);
}

var fieldNames = [ 'host', 'port', 'database', 'user', 'password' ];
var nrOfFields = fieldNames.length;
var passKey = fieldNames[ nrOfFields -1 ];


function warn() {
    var isWritable = (
        warnStream instanceof Stream &&
          true === warnStream.writable
    );

    if (isWritable) {
        var args = Array.prototype.slice.call(arguments).concat("\n");
        warnStream.write( util.format.apply(util, args) );
    }
}


Object.defineProperty(module.exports, "isWin", ({
    get : function() {
        return isWin;
    } ,
    set : function(val) {
        isWin = val;
    }
}));


module.exports.warnTo = function(stream) {
    var old = warnStream;
    warnStream = stream;
    return old;
};

module.exports.getFileName = function(rawEnv){
    var env = rawEnv || process.env;
    var file = env.PGPASSFILE || (
        isWin ?
          path.join( env.APPDATA || './' , 'postgresql', 'pgpass.conf' ) :
          path.join( env.HOME || './', '.pgpass' )
    );
    return file;
};

module.exports.usePgPass = function(stats, fname) {
    if (Object.prototype.hasOwnProperty.call(process.env, 'PGPASSWORD')) {
        return false;
    }

    if (isWin) {
        return true;
    }

    fname = fname || '<unkn>';

    if (! isRegFile(stats.mode)) {
        warn('WARNING: password file "%s" is not a plain file', fname);
        return false;
    }

    if (stats.mode & (S_IRWXG | S_IRWXO)) {
        /* If password file is insecure, alert the user and ignore it. */
        warn('WARNING: password file "%s" has group or world access; permissions should be u=rw (0600) or less', fname);
        return false;
    }

    return true;
};


var matcher = module.exports.match = function(connInfo, entry) {
    return fieldNames.slice(0, -1).reduce(function(prev, field, idx){
        if (idx == 1) {
            // the port
            if ( Number( connInfo[field] || defaultPort ) === Number( entry[field] ) ) {
                return prev && true;
            }
        }
        return prev && (
            entry[field] === '*' ||
              entry[field] === connInfo[field]
        );
    }, true);
};


module.exports.getPassword = function(connInfo, stream, cb) {
    var pass;
    var lineStream = stream.pipe(split());

    function onLine(line) {
        var entry = parseLine(line);
        if (entry && isValidEntry(entry) && matcher(connInfo, entry)) {
            pass = entry[passKey];
            lineStream.end(); // -> calls onEnd(), but pass is set now
        }
    }

    var onEnd = function() {
        stream.destroy();
        cb(pass);
    };

    var onErr = function(err) {
        stream.destroy();
        warn('WARNING: error on reading file: %s', err);
        cb(undefined);
    };

    stream.on('error', onErr);
    lineStream
        .on('data', onLine)
        .on('end', onEnd)
        .on('error', onErr)
    ;

};


var parseLine = module.exports.parseLine = function(line) {
    if (line.length < 11 || line.match(/^\s+#/)) {
        return null;
    }

    var curChar = '';
    var prevChar = '';
    var fieldIdx = 0;
    var startIdx = 0;
    var endIdx = 0;
    var obj = {};
    var isLastField = false;
    var addToObj = function(idx, i0, i1) {
        var field = line.substring(i0, i1);

        if (! Object.hasOwnProperty.call(process.env, 'PGPASS_NO_DEESCAPE')) {
            field = field.replace(/\\([:\\])/g, '$1');
        }

        obj[ fieldNames[idx] ] = field;
    };

    for (var i = 0 ; i < line.length-1 ; i += 1) {
        curChar = line.charAt(i+1);
        prevChar = line.charAt(i);

        isLastField = (fieldIdx == nrOfFields-1);

        if (isLastField) {
            addToObj(fieldIdx, startIdx);
            break;
        }

        if (i >= 0 && curChar == ':' && prevChar !== '\\') {
            addToObj(fieldIdx, startIdx, i+1);

            startIdx = i+2;
            fieldIdx += 1;
        }
    }

    obj = ( Object.keys(obj).length === nrOfFields ) ? obj : null;

    return obj;
};


var isValidEntry = module.exports.isValidEntry = function(entry){
    var rules = {
        // host
        0 : function(x){
            return x.length > 0;
        } ,
        // port
        1 : function(x){
            if (x === '*') {
                return true;
            }
            x = Number(x);
            return (
                isFinite(x) &&
                  x > 0 &&
                  x < 9007199254740992 &&
                  Math.floor(x) === x
            );
        } ,
        // database
        2 : function(x){
            return x.length > 0;
        } ,
        // username
        3 : function(x){
            return x.length > 0;
        } ,
        // password
        4 : function(x){
            return x.length > 0;
        }
    };

    for (var idx = 0 ; idx < fieldNames.length ; idx += 1) {
        var rule = rules[idx];
        var value = entry[ fieldNames[idx] ] || '';

        var res = rule(value);
        if (!res) {
            return false;
        }
    }

    return true;
};



/***/ }),

/***/ 3272:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



var path = __nccwpck_require__(6928)
  , fs = __nccwpck_require__(9896)
  , helper = __nccwpck_require__(8702)
;


module.exports = function(connInfo, cb) {
    var file = helper.getFileName();
    
    fs.stat(file, function(err, stat){
        if (err || !helper.usePgPass(stat, file)) {
            return cb(undefined);
        }

        var st = fs.createReadStream(file);

        helper.getPassword(connInfo, st, cb);
    });
};

module.exports.warnTo = helper.warnTo;


/***/ }),

/***/ 3879:
/***/ ((__unused_webpack_module, exports) => {



exports.parse = function (source, transform) {
  return new ArrayParser(source, transform).parse()
}

class ArrayParser {
  constructor (source, transform) {
    this.source = source
    this.transform = transform || identity
    this.position = 0
    this.entries = []
    this.recorded = []
    this.dimension = 0
  }

  isEof () {
    return this.position >= this.source.length
  }

  nextCharacter () {
    var character = this.source[this.position++]
    if (character === '\\') {
      return {
        value: this.source[this.position++],
        escaped: true
      }
    }
    return {
      value: character,
      escaped: false
    }
  }

  record (character) {
    this.recorded.push(character)
  }

  newEntry (includeEmpty) {
    var entry
    if (this.recorded.length > 0 || includeEmpty) {
      entry = this.recorded.join('')
      if (entry === 'NULL' && !includeEmpty) {
        entry = null
      }
      if (entry !== null) entry = this.transform(entry)
      this.entries.push(entry)
      this.recorded = []
    }
  }

  consumeDimensions () {
    if (this.source[0] === '[') {
      while (!this.isEof()) {
        var char = this.nextCharacter()
        if (char.value === '=') break
      }
    }
  }

  parse (nested) {
    var character, parser, quote
    this.consumeDimensions()
    while (!this.isEof()) {
      character = this.nextCharacter()
      if (character.value === '{' && !quote) {
        this.dimension++
        if (this.dimension > 1) {
          parser = new ArrayParser(this.source.substr(this.position - 1), this.transform)
          this.entries.push(parser.parse(true))
          this.position += parser.position - 2
        }
      } else if (character.value === '}' && !quote) {
        this.dimension--
        if (!this.dimension) {
          this.newEntry()
          if (nested) return this.entries
        }
      } else if (character.value === '"' && !character.escaped) {
        if (quote) this.newEntry(true)
        quote = !quote
      } else if (character.value === ',' && !quote) {
        this.newEntry()
      } else {
        this.record(character.value)
      }
    }
    if (this.dimension !== 0) {
      throw new Error('array dimension not balanced')
    }
    return this.entries
  }
}

function identity (value) {
  return value
}


/***/ }),

/***/ 463:
/***/ ((module) => {



var bufferFrom = Buffer.from || Buffer

module.exports = function parseBytea (input) {
  if (/^\\x/.test(input)) {
    // new 'hex' style response (pg >9.0)
    return bufferFrom(input.substr(2), 'hex')
  }
  var output = ''
  var i = 0
  while (i < input.length) {
    if (input[i] !== '\\') {
      output += input[i]
      ++i
    } else {
      if (/[0-7]{3}/.test(input.substr(i + 1, 3))) {
        output += String.fromCharCode(parseInt(input.substr(i + 1, 3), 8))
        i += 4
      } else {
        var backslashes = 1
        while (i + backslashes < input.length && input[i + backslashes] === '\\') {
          backslashes++
        }
        for (var k = 0; k < Math.floor(backslashes / 2); ++k) {
          output += '\\'
        }
        i += Math.floor(backslashes / 2) * 2
      }
    }
  }
  return bufferFrom(output, 'binary')
}


/***/ }),

/***/ 2690:
/***/ ((module) => {



var DATE_TIME = /(\d{1,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,})?.*?( BC)?$/
var DATE = /^(\d{1,})-(\d{2})-(\d{2})( BC)?$/
var TIME_ZONE = /([Z+-])(\d{2})?:?(\d{2})?:?(\d{2})?/
var INFINITY = /^-?infinity$/

module.exports = function parseDate (isoDate) {
  if (INFINITY.test(isoDate)) {
    // Capitalize to Infinity before passing to Number
    return Number(isoDate.replace('i', 'I'))
  }
  var matches = DATE_TIME.exec(isoDate)

  if (!matches) {
    // Force YYYY-MM-DD dates to be parsed as local time
    return getDate(isoDate) || null
  }

  var isBC = !!matches[8]
  var year = parseInt(matches[1], 10)
  if (isBC) {
    year = bcYearToNegativeYear(year)
  }

  var month = parseInt(matches[2], 10) - 1
  var day = matches[3]
  var hour = parseInt(matches[4], 10)
  var minute = parseInt(matches[5], 10)
  var second = parseInt(matches[6], 10)

  var ms = matches[7]
  ms = ms ? 1000 * parseFloat(ms) : 0

  var date
  var offset = timeZoneOffset(isoDate)
  if (offset != null) {
    date = new Date(Date.UTC(year, month, day, hour, minute, second, ms))

    // Account for years from 0 to 99 being interpreted as 1900-1999
    // by Date.UTC / the multi-argument form of the Date constructor
    if (is0To99(year)) {
      date.setUTCFullYear(year)
    }

    if (offset !== 0) {
      date.setTime(date.getTime() - offset)
    }
  } else {
    date = new Date(year, month, day, hour, minute, second, ms)

    if (is0To99(year)) {
      date.setFullYear(year)
    }
  }

  return date
}

function getDate (isoDate) {
  var matches = DATE.exec(isoDate)
  if (!matches) {
    return
  }

  var year = parseInt(matches[1], 10)
  var isBC = !!matches[4]
  if (isBC) {
    year = bcYearToNegativeYear(year)
  }

  var month = parseInt(matches[2], 10) - 1
  var day = matches[3]
  // YYYY-MM-DD will be parsed as local time
  var date = new Date(year, month, day)

  if (is0To99(year)) {
    date.setFullYear(year)
  }

  return date
}

// match timezones:
// Z (UTC)
// -05
// +06:30
function timeZoneOffset (isoDate) {
  if (isoDate.endsWith('+00')) {
    return 0
  }

  var zone = TIME_ZONE.exec(isoDate.split(' ')[1])
  if (!zone) return
  var type = zone[1]

  if (type === 'Z') {
    return 0
  }
  var sign = type === '-' ? -1 : 1
  var offset = parseInt(zone[2], 10) * 3600 +
    parseInt(zone[3] || 0, 10) * 60 +
    parseInt(zone[4] || 0, 10)

  return offset * sign * 1000
}

function bcYearToNegativeYear (year) {
  // Account for numerical difference between representations of BC years
  // See: https://github.com/bendrucker/postgres-date/issues/5
  return -(year - 1)
}

function is0To99 (num) {
  return num >= 0 && num < 100
}


/***/ }),

/***/ 8755:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



var extend = __nccwpck_require__(223)

module.exports = PostgresInterval

function PostgresInterval (raw) {
  if (!(this instanceof PostgresInterval)) {
    return new PostgresInterval(raw)
  }
  extend(this, parse(raw))
}
var properties = ['seconds', 'minutes', 'hours', 'days', 'months', 'years']
PostgresInterval.prototype.toPostgres = function () {
  var filtered = properties.filter(this.hasOwnProperty, this)

  // In addition to `properties`, we need to account for fractions of seconds.
  if (this.milliseconds && filtered.indexOf('seconds') < 0) {
    filtered.push('seconds')
  }

  if (filtered.length === 0) return '0'
  return filtered
    .map(function (property) {
      var value = this[property] || 0

      // Account for fractional part of seconds,
      // remove trailing zeroes.
      if (property === 'seconds' && this.milliseconds) {
        value = (value + this.milliseconds / 1000).toFixed(6).replace(/\.?0+$/, '')
      }

      return value + ' ' + property
    }, this)
    .join(' ')
}

var propertiesISOEquivalent = {
  years: 'Y',
  months: 'M',
  days: 'D',
  hours: 'H',
  minutes: 'M',
  seconds: 'S'
}
var dateProperties = ['years', 'months', 'days']
var timeProperties = ['hours', 'minutes', 'seconds']
// according to ISO 8601
PostgresInterval.prototype.toISOString = PostgresInterval.prototype.toISO = function () {
  var datePart = dateProperties
    .map(buildProperty, this)
    .join('')

  var timePart = timeProperties
    .map(buildProperty, this)
    .join('')

  return 'P' + datePart + 'T' + timePart

  function buildProperty (property) {
    var value = this[property] || 0

    // Account for fractional part of seconds,
    // remove trailing zeroes.
    if (property === 'seconds' && this.milliseconds) {
      value = (value + this.milliseconds / 1000).toFixed(6).replace(/0+$/, '')
    }

    return value + propertiesISOEquivalent[property]
  }
}

var NUMBER = '([+-]?\\d+)'
var YEAR = NUMBER + '\\s+years?'
var MONTH = NUMBER + '\\s+mons?'
var DAY = NUMBER + '\\s+days?'
var TIME = '([+-])?([\\d]*):(\\d\\d):(\\d\\d)\\.?(\\d{1,6})?'
var INTERVAL = new RegExp([YEAR, MONTH, DAY, TIME].map(function (regexString) {
  return '(' + regexString + ')?'
})
  .join('\\s*'))

// Positions of values in regex match
var positions = {
  years: 2,
  months: 4,
  days: 6,
  hours: 9,
  minutes: 10,
  seconds: 11,
  milliseconds: 12
}
// We can use negative time
var negatives = ['hours', 'minutes', 'seconds', 'milliseconds']

function parseMilliseconds (fraction) {
  // add omitted zeroes
  var microseconds = fraction + '000000'.slice(fraction.length)
  return parseInt(microseconds, 10) / 1000
}

function parse (interval) {
  if (!interval) return {}
  var matches = INTERVAL.exec(interval)
  var isNegative = matches[8] === '-'
  return Object.keys(positions)
    .reduce(function (parsed, property) {
      var position = positions[property]
      var value = matches[position]
      // no empty string
      if (!value) return parsed
      // milliseconds are actually microseconds (up to 6 digits)
      // with omitted trailing zeroes.
      value = property === 'milliseconds'
        ? parseMilliseconds(value)
        : parseInt(value, 10)
      // no zeros
      if (!value) return parsed
      if (isNegative && ~negatives.indexOf(property)) {
        value *= -1
      }
      parsed[property] = value
      return parsed
    }, {})
}


/***/ }),

/***/ 5286:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

/*
Copyright (c) 2014-2021, Matteo Collina <hello@matteocollina.com>

Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF OR
IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
*/



const { Transform } = __nccwpck_require__(2203)
const { StringDecoder } = __nccwpck_require__(3193)
const kLast = Symbol('last')
const kDecoder = Symbol('decoder')

function transform (chunk, enc, cb) {
  let list
  if (this.overflow) { // Line buffer is full. Skip to start of next line.
    const buf = this[kDecoder].write(chunk)
    list = buf.split(this.matcher)

    if (list.length === 1) return cb() // Line ending not found. Discard entire chunk.

    // Line ending found. Discard trailing fragment of previous line and reset overflow state.
    list.shift()
    this.overflow = false
  } else {
    this[kLast] += this[kDecoder].write(chunk)
    list = this[kLast].split(this.matcher)
  }

  this[kLast] = list.pop()

  for (let i = 0; i < list.length; i++) {
    try {
      push(this, this.mapper(list[i]))
    } catch (error) {
      return cb(error)
    }
  }

  this.overflow = this[kLast].length > this.maxLength
  if (this.overflow && !this.skipOverflow) {
    cb(new Error('maximum buffer reached'))
    return
  }

  cb()
}

function flush (cb) {
  // forward any gibberish left in there
  this[kLast] += this[kDecoder].end()

  if (this[kLast]) {
    try {
      push(this, this.mapper(this[kLast]))
    } catch (error) {
      return cb(error)
    }
  }

  cb()
}

function push (self, val) {
  if (val !== undefined) {
    self.push(val)
  }
}

function noop (incoming) {
  return incoming
}

function split (matcher, mapper, options) {
  // Set defaults for any arguments not supplied.
  matcher = matcher || /\r?\n/
  mapper = mapper || noop
  options = options || {}

  // Test arguments explicitly.
  switch (arguments.length) {
    case 1:
      // If mapper is only argument.
      if (typeof matcher === 'function') {
        mapper = matcher
        matcher = /\r?\n/
      // If options is only argument.
      } else if (typeof matcher === 'object' && !(matcher instanceof RegExp) && !matcher[Symbol.split]) {
        options = matcher
        matcher = /\r?\n/
      }
      break

    case 2:
      // If mapper and options are arguments.
      if (typeof matcher === 'function') {
        options = mapper
        mapper = matcher
        matcher = /\r?\n/
      // If matcher and options are arguments.
      } else if (typeof mapper === 'object') {
        options = mapper
        mapper = noop
      }
  }

  options = Object.assign({}, options)
  options.autoDestroy = true
  options.transform = transform
  options.flush = flush
  options.readableObjectMode = true

  const stream = new Transform(options)

  stream[kLast] = ''
  stream[kDecoder] = new StringDecoder('utf8')
  stream.matcher = matcher
  stream.mapper = mapper
  stream.maxLength = options.maxLength
  stream.skipOverflow = options.skipOverflow || false
  stream.overflow = false
  stream._destroy = function (err, cb) {
    // Weird Node v12 bug that we need to work around
    this._writableState.errorEmitted = false
    cb(err)
  }

  return stream
}

module.exports = split


/***/ }),

/***/ 223:
/***/ ((module) => {

module.exports = extend

var hasOwnProperty = Object.prototype.hasOwnProperty;

function extend(target) {
    for (var i = 1; i < arguments.length; i++) {
        var source = arguments[i]

        for (var key in source) {
            if (hasOwnProperty.call(source, key)) {
                target[key] = source[key]
            }
        }
    }

    return target
}


/***/ }),

/***/ 4390:
/***/ ((module) => {

module.exports = eval("require")("pg-native");


/***/ }),

/***/ 6982:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("crypto");

/***/ }),

/***/ 2250:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("dns");

/***/ }),

/***/ 4434:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");

/***/ }),

/***/ 9896:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");

/***/ }),

/***/ 9278:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("net");

/***/ }),

/***/ 1421:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");

/***/ }),

/***/ 7598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 3024:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 7030:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");

/***/ }),

/***/ 8161:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");

/***/ }),

/***/ 6760:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");

/***/ }),

/***/ 1692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:tls");

/***/ }),

/***/ 3136:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");

/***/ }),

/***/ 6928:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");

/***/ }),

/***/ 2203:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("stream");

/***/ }),

/***/ 3193:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("string_decoder");

/***/ }),

/***/ 4756:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tls");

/***/ }),

/***/ 9023:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util");

/***/ }),

/***/ 8253:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util/types");

/***/ }),

/***/ 1042:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  ak: () => (/* binding */ runCli)
});

// UNUSED EXPORTS: DOTENV_KEYS, renderCodeQuality, renderDotenv

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
// EXTERNAL MODULE: ./lib/inputs.js
var lib_inputs = __nccwpck_require__(646);
;// CONCATENATED MODULE: ./lib/cli/args.js

/** Bad command-line usage: exit code 2, one line naming the flag. */
class UsageError extends Error {
    constructor(message) {
        super(message);
        this.name = 'UsageError';
    }
}
/**
 * An argument as a usage error may show it: anything that looks like a connection URL (a scheme, or a
 * user@host part) is replaced, so that a URL given in the wrong place is not printed with its password.
 * Pure.
 */
function shownArgument(arg) {
    if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(arg) || /:[^/]*@/.test(arg) || /%[0-9A-Fa-f]{2}/.test(arg) || /password\s*=/i.test(arg)) {
        return '<a connection URL, not shown>';
    }
    return JSON.stringify(arg.length > 60 ? `${arg.slice(0, 57)}...` : arg);
}
/** Flags that may stand alone (meaning true), with the values they take when one follows. */
const BOOLEAN_INPUTS = new Map([
    ['backup', ['true', 'false', 'auto']],
    ['summary', ['true', 'false']],
    ['dry-run', ['true', 'false']],
    ['comment', ['true', 'false']],
]);
/** Every input is a flag but command (the positional argument) and the tokens of one platform. */
const INPUT_FLAGS = new Set(lib_inputs/* INPUTS */.mc.filter((i) => !('only' in i)).map((i) => i.name).filter((name) => name !== 'command'));
/** The tokens come from the environment: a flag would put one in argv, which every process can read. */
const TOKEN_VARIABLES = { 'github-token': 'GITHUB_TOKEN', 'gitlab-token': 'GITLAB_TOKEN' };
/**
 * Parse `migrate-action <command> [--flag value | --flag=value]...`. Every action input is a flag of the
 * same name; `--settings` may be repeated (one setting each); boolean flags may stand alone. Pure.
 */
function parseArgs(argv) {
    const inputs = {};
    const settings = [];
    let dotenv;
    let codeQuality;
    let command;
    for (let i = 0; i < argv.length; i += 1) {
        const arg = argv[i];
        if (arg === '--help' || arg === '-h')
            return { kind: 'help' };
        if (arg === '--version' || arg === '-V')
            return { kind: 'version' };
        if (!arg.startsWith('--')) {
            if (command !== undefined)
                throw new UsageError(`unexpected argument ${shownArgument(arg)}: give one command (${lib_inputs/* COMMANDS */.Lo.join(', ')})`);
            if (!lib_inputs/* COMMANDS */.Lo.includes(arg)) {
                throw new UsageError(`unknown command ${shownArgument(arg)}: use one of ${lib_inputs/* COMMANDS */.Lo.join(', ')}`);
            }
            command = arg;
            continue;
        }
        const eq = arg.indexOf('=');
        const name = arg.slice(2, eq < 0 ? undefined : eq);
        const values = BOOLEAN_INPUTS.get(name);
        let value = eq < 0 ? undefined : arg.slice(eq + 1);
        if (value === undefined) {
            const next = argv[i + 1];
            if (values && (next === undefined || next.startsWith('--') || !values.includes(next))) {
                value = 'true';
            }
            else if (next === undefined || (next.startsWith('--') && next.length > 2)) {
                throw new UsageError(`flag ${shownArgument(`--${name}`)} needs a value`);
            }
            else {
                value = next;
                i += 1;
            }
        }
        if (name === 'dotenv') {
            dotenv = value;
        }
        else if (name === 'code-quality') {
            codeQuality = value;
        }
        else if (name === 'settings') {
            settings.push(value);
        }
        else if (name in TOKEN_VARIABLES) {
            throw new UsageError(`--${name} is not taken on the command line, where every process on the machine could read it; set ${TOKEN_VARIABLES[name]} in the environment`);
        }
        else if (INPUT_FLAGS.has(name)) {
            inputs[name] = value;
        }
        else {
            throw new UsageError(`unknown flag ${shownArgument(`--${name}`)}; see migrate-action --help`);
        }
    }
    if (command === undefined)
        throw new UsageError(`no command: use migrate-action <${lib_inputs/* COMMANDS */.Lo.join('|')}> [flags]; see --help`);
    inputs.command = command;
    if (settings.length > 0)
        inputs.settings = settings.join('\n');
    return { kind: 'run', inputs, dotenv, codeQuality };
}
/** --help: every flag with its default, from the same manifest as action.yml. */
function helpText(version) {
    const lines = [
        `migrate-action ${version}: apply PostgreSQL migrations (postgres-migrations, alembic, node-pg-migrate or dbmate) under an advisory lock.`,
        '',
        `Usage: migrate-action <${lib_inputs/* COMMANDS */.Lo.join('|')}> [flags]`,
        '',
        'Connection: --database-url, else DATABASE_URL, else the libpq variables PGHOST, PGPORT, PGUSER,',
        'PGPASSWORD, PGDATABASE, PGSSLMODE (so a masked PGPASSWORD can stay apart from the rest).',
        'Shadow database (plan, check): --shadow-database-url, else SHADOW_DATABASE_URL.',
        'Comment (plan, check with --comment): GITLAB_TOKEN in a GitLab merge request pipeline, GITHUB_TOKEN in a',
        'GitHub pull request workflow.',
        '',
        'Flags:',
    ];
    const width = Math.max(...lib_inputs/* INPUTS */.mc.map((i) => i.name.length), 'dotenv FILE'.length) + 4;
    for (const input of lib_inputs/* INPUTS */.mc) {
        if (input.name === 'command' || 'only' in input)
            continue;
        const def = 'default' in input ? (input.default === '' ? '' : ` (default: ${input.default})`) : '';
        lines.push(`  --${input.name.padEnd(width)}${input.description}${def}`);
    }
    lines.push(`  --${'dotenv FILE'.padEnd(width)}Also write the results as MIGRATE_* lines to FILE (GitLab's dotenv report).`);
    lines.push(`  --${'code-quality FILE'.padEnd(width)}Also write the review's findings to FILE as a GitLab Code Quality report.`);
    lines.push(`  --${'help'.padEnd(width)}Show this help.`);
    lines.push(`  --${'version'.padEnd(width)}Show the version.`);
    lines.push('', 'Exit codes: 0 success (also up-to-date); 1 failure, or check with something pending; 2 bad usage.');
    return lines.join('\n');
}

// EXTERNAL MODULE: ./lib/main.js + 30 modules
var main = __nccwpck_require__(4994);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(8161);
;// CONCATENATED MODULE: ./lib/platform/cli.js


/**
 * The connection URL from the libpq variables, for setups that keep PGPASSWORD apart from the rest.
 * Empty when none of PGHOST, PGUSER, PGDATABASE is set. Pure.
 */
function urlFromLibpqEnv(env) {
    if (!env.PGHOST && !env.PGUSER && !env.PGDATABASE)
        return '';
    const enc = encodeURIComponent;
    const user = env.PGUSER || external_node_os_.userInfo().username;
    const password = env.PGPASSWORD ? `:${enc(env.PGPASSWORD)}` : '';
    const host = env.PGHOST || 'localhost';
    const socket = host.startsWith('/');
    const port = env.PGPORT || '5432';
    const params = new URLSearchParams();
    if (socket)
        params.set('host', host);
    if (socket)
        params.set('port', port);
    if (env.PGSSLMODE)
        params.set('sslmode', env.PGSSLMODE);
    if (env.PGSSLROOTCERT)
        params.set('sslrootcert', env.PGSSLROOTCERT);
    if (env.PGSSLCERT)
        params.set('sslcert', env.PGSSLCERT);
    if (env.PGSSLKEY)
        params.set('sslkey', env.PGSSLKEY);
    const query = params.size > 0 ? `?${params.toString()}` : '';
    const authority = socket ? '' : `${host.includes(':') ? `[${host}]` : host}:${port}`;
    return `postgres://${enc(user)}${password}@${authority}/${enc(env.PGDATABASE || user)}${query}`;
}
/**
 * Text as the CLI prints it: control characters other than line breaks are shown as `?`, so that a
 * file name or a server's message cannot draw GitLab's collapsible sections (ESC …section_start…),
 * move the cursor or rewrite a line. Pure.
 */
function inert(text) {
    // eslint-disable-next-line no-control-regex
    return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g, '?');
}
const SECTION = (name) => `migrate_${name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')}`.slice(0, 60);
/** The CLI platform: flags and environment in; lines on stdout; GitLab log sections when in GitLab CI. */
function cliPlatform(flags, io) {
    const gitlab = io.env.GITLAB_CI === 'true';
    const colour = io.tty && !io.env.NO_COLOR && !gitlab;
    const paint = (code, text) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
    let printedError;
    // file:line:column: in front, as compilers print it, unless the message names the file itself.
    const at = (location, message) => location && !message.includes(location.file)
        ? `${location.file}${location.line === undefined ? '' : `:${location.line}`}${location.column === undefined ? '' : `:${location.column}`}: `
        : '';
    return {
        env: io.env,
        forge: gitlab
            ? { name: 'gitlab', tokenInput: 'gitlab-token (GITLAB_TOKEN)' }
            : io.env.GITHUB_ACTIONS === 'true'
                ? { name: 'github', tokenInput: 'GITHUB_TOKEN' }
                : undefined,
        workspace: io.cwd, // a GitLab job starts in CI_PROJECT_DIR
        tempDir: external_node_os_.tmpdir(),
        emptyDatabaseUrlHint: 'set --database-url, or DATABASE_URL, or the libpq variables PGHOST, PGUSER, PGPASSWORD and PGDATABASE (in GitLab: a masked CI/CD variable; check that it is not limited to protected branches or another environment)',
        getInput(name) {
            const value = flags[name];
            if (value !== undefined)
                return value;
            if (name === 'database-url')
                return io.env.DATABASE_URL || urlFromLibpqEnv(io.env);
            // A secret too: from the environment, so that it stays out of argv.
            if (name === 'shadow-database-url')
                return io.env.SHADOW_DATABASE_URL ?? '';
            // The comment's tokens: never flags (argv is visible to every process on the machine).
            if (name === 'github-token' || name === 'gitlab-token')
                return io.env[TOKEN_VARIABLES[name]] ?? '';
            return '';
        },
        mask: () => undefined, // there is no runner to mask for us: main redacts every line itself
        info: (message) => io.write(inert(message)),
        warning: (message, location) => io.writeError(`${paint('33', 'warning:')} ${at(location, message)}${inert(message)}`),
        error(message, location) {
            printedError = message;
            io.writeError(`${paint('31', 'error:')} ${at(location, message)}${inert(message)}`);
        },
        async group(title, fn) {
            const id = SECTION(title);
            if (gitlab)
                io.write(`\u001b[0Ksection_start:${io.now()}:${id}[collapsed=false]\r\u001b[0K${inert(title)}`);
            else
                io.write(paint('1', `== ${inert(title)}`));
            try {
                return await fn();
            }
            finally {
                if (gitlab)
                    io.write(`\u001b[0Ksection_end:${io.now()}:${id}\r\u001b[0K`);
            }
        },
        setOutput: () => undefined, // the CLI's results are its log's last line and the --dotenv report
        writeSummary: async () => undefined, // the CLI prints its own result block
        fail(message, location) {
            if (printedError !== message)
                io.writeError(`${paint('31', 'error:')} ${at(location, message)}${inert(message)}`);
        },
    };
}

// EXTERNAL MODULE: ./lib/report.js
var report = __nccwpck_require__(9293);
// EXTERNAL MODULE: ./lib/version.js
var version = __nccwpck_require__(3411);
;// CONCATENATED MODULE: ./lib/cli.js








/** The dotenv keys GitLab passes to later jobs, and the output each one carries. */
const DOTENV_KEYS = [
    ['MIGRATE_STATUS', 'status'],
    ['MIGRATE_REVISION', 'revision'],
    ['MIGRATE_REVISION_NAME', 'revision-name'],
    ['MIGRATE_PREVIOUS_REVISION', 'previous-revision'],
    ['MIGRATE_APPLIED_COUNT', 'applied-count'],
    ['MIGRATE_PENDING_COUNT', 'pending-count'],
    ['MIGRATE_ROLLED_BACK_COUNT', 'rolled-back-count'],
    ['MIGRATE_FINDINGS_COUNT', 'findings-count'],
    ['MIGRATE_BACKUP_PATH', 'backup-path'],
];
/**
 * The report as dotenv lines within GitLab's rules: one line per key, no spaces, quotes or newlines in
 * values (anything else becomes `_`), nothing secret (only the scalar outputs above). Pure.
 */
function renderDotenv(result) {
    const outputs = (0,report/* toOutputs */.Iu)(result);
    return DOTENV_KEYS.map(([key, output]) => `${key}=${outputs[output].replace(/[^A-Za-z0-9_.,/:@+=-]/g, '_')}`).join('\n') + '\n';
}
/**
 * The review's findings as GitLab's Code Quality report (a JSON array; `[]` when there are none), so that
 * they show in the merge request: severity major (critical with lint error), the file and line, and a
 * fingerprint that stays the same while the statement does. Pure.
 */
function renderCodeQuality(result) {
    const findings = (result.findings ?? []).filter((f) => !f.ignored);
    const severity = result.error && findings.length > 0 && /input lint is error/.test(result.error.message) ? 'critical' : 'major';
    // The same rule on the same statement text twice in one file: told apart by how many came before.
    const seen = new Map();
    return `${JSON.stringify(findings.map((f) => ({
        description: f.message,
        check_name: f.rule,
        fingerprint: (0,external_node_crypto_.createHash)('sha256')
            .update(`${f.rule}\0${f.file}\0${f.statement}\0${occurrence(seen, `${f.rule}\0${f.file}\0${f.statement}`)}`)
            .digest('hex'),
        severity,
        location: { path: f.file, lines: { begin: f.line ?? 1 } },
    })), null, 2)}\n`;
}
/** How many times `key` was counted before (and count it). */
function occurrence(seen, key) {
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return n;
}
/** `migrate-action <command> [flags]`: exit 0 success, 1 failure (also check with something pending), 2 bad usage. */
async function runCli(argv, io) {
    let request;
    try {
        request = parseArgs(argv);
    }
    catch (error) {
        if (!(error instanceof UsageError))
            throw error;
        io.writeError(`migrate-action: ${error.message}`);
        return 2;
    }
    if (request.kind === 'help') {
        io.write(helpText(version/* VERSION */.x));
        return 0;
    }
    if (request.kind === 'version') {
        io.write(version/* VERSION */.x);
        return 0;
    }
    const platform = cliPlatform(request.inputs, io);
    const result = await (0,main/* runOn */.l9)(platform, undefined, io.signal);
    for (const [flag, name, render] of [
        ['dotenv', request.dotenv, renderDotenv],
        ['code-quality', request.codeQuality, renderCodeQuality],
    ]) {
        if (name === undefined)
            continue;
        try {
            (0,external_node_fs_.writeFileSync)(external_node_path_.resolve(io.cwd, name), render(result), { mode: 0o600 });
        }
        catch (error) {
            io.writeError(`migrate-action: cannot write --${flag} ${name}: ${error.message}`);
            return 1;
        }
    }
    return result.error ? 1 : 0;
}


/***/ }),

/***/ 3688:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   FW: () => (/* binding */ startConnecting),
/* harmony export */   MB: () => (/* binding */ connectWithWait),
/* harmony export */   N2: () => (/* binding */ describeEndpoint),
/* harmony export */   TY: () => (/* binding */ cancelRunningStatement)
/* harmony export */ });
/* unused harmony exports APPLICATION_NAME, isTransient, fatalConnectMessage, clientConfig */
/* harmony import */ var node_net__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(7030);
/* harmony import */ var pg__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3849);
/* harmony import */ var pg_connection_string__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(984);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(452);
/* harmony import */ var _tls_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(6203);
/* harmony import */ var _session_js__WEBPACK_IMPORTED_MODULE_5__ = __nccwpck_require__(3794);






const APPLICATION_NAME = 'migrate-action';
/** Network errors that can clear up while a database starts or its DNS name appears. */
const TRANSIENT_CODES = new Set([
    'ECONNREFUSED',
    'ECONNRESET',
    'ENOTFOUND',
    'EAI_AGAIN',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EPIPE',
    '57P03', // cannot_connect_now: the database system is starting up / shutting down / in recovery
    '53300', // too_many_connections
]);
/** Whether waiting may help. Authentication, a missing database and SSL problems never get better. */
function isTransient(error) {
    const code = error.code;
    if (typeof code === 'string')
        return TRANSIENT_CODES.has(code);
    const message = (0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .messageOf */ .bD)(error);
    return /Connection terminated (unexpectedly|due to connection timeout)|timeout expired/i.test(message);
}
function describeEndpoint(endpoint) {
    return `${endpoint.host}:${endpoint.port}/${endpoint.database}`;
}
/** The message for an error that waiting will not fix; names the endpoint and the fix. */
function fatalConnectMessage(error, endpoint) {
    const where = describeEndpoint(endpoint);
    const code = error.code;
    const message = (0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .messageOf */ .bD)(error);
    if (code === '28P01') {
        return `Password authentication failed for user "${endpoint.user}" at ${where}; check the password in the database-url secret.`;
    }
    if (code === '3D000') {
        return `Database "${endpoint.database}" does not exist on ${endpoint.host}:${endpoint.port}; create it first, or fix the database name in database-url.`;
    }
    if (error instanceof _tls_js__WEBPACK_IMPORTED_MODULE_4__/* .TlsProblem */ .zd)
        return `Cannot connect to ${where}: ${message}`;
    if (refusedForTls(error)) {
        return /no encryption|SSL off/i.test(message)
            ? `The server at ${where} accepts this user only over SSL (${message}); remove sslmode=disable from database-url (the default, prefer, uses SSL when the server offers it).`
            : `The server at ${where} accepts this user only without SSL (${message}); use sslmode=prefer or sslmode=disable in database-url.`;
    }
    if (code === '28000') {
        return `The server at ${where} refused user "${endpoint.user}": ${message}; check the user name and the server's pg_hba.conf.`;
    }
    return `Cannot connect to ${where}: ${message}${typeof code === 'string' ? ` (${code})` : ''}; check database-url.`;
}
/**
 * pg's client settings for our URL, with our application_name so that lock holders can be told apart.
 * Pipeline mode: a query is sent as soon as it is issued, not when the one before it has answered, so
 * that queries issued together (BEGIN with a migration's SQL, say) cost one round trip. Code that awaits
 * each query sees no difference.
 */
function clientConfig(databaseUrl, connectionTimeoutMillis) {
    // TLS is negotiated by tls.ts, as libpq does; the driver is given a stream that is ready.
    const parsed = (0,pg_connection_string__WEBPACK_IMPORTED_MODULE_2__/* .parse */ .qg)((0,_tls_js__WEBPACK_IMPORTED_MODULE_4__/* .withoutTlsParams */ .ww)(databaseUrl));
    return {
        ...parsed,
        port: parsed.port ? Number(parsed.port) : 5432,
        host: parsed.host || 'localhost',
        ssl: false,
        application_name: APPLICATION_NAME,
        connectionTimeoutMillis,
        pipeline: true,
    };
}
/** The server refused a session for the TLS it was opened with (pg_hba.conf: hostssl/hostnossl lines). */
function refusedForTls(error) {
    return error.code === '28000' && /\b(no encryption|SSL encryption|SSL off|SSL on)\b/i.test((0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .messageOf */ .bD)(error));
}
/**
 * One attempt to connect, taking at most `timeoutMs` (between 0.25 s and 10 s), with TLS as sslmode
 * says (tls.ts): `prefer` falls back to a plain connection when the server refuses the encrypted one,
 * `allow` tries a plain one first. Errors the connection reports later are logged as warnings.
 */
function startConnecting(databaseUrl, timeoutMs, log) {
    const limit = Math.max(250, Math.min(timeoutMs, 10_000));
    const config = clientConfig(databaseUrl, limit);
    const settings = (0,_tls_js__WEBPACK_IMPORTED_MODULE_4__/* .tlsSettings */ .Bl)(databaseUrl);
    // Our own sockets, so that abandon() can close them at once: pg's end() waits for a connect under way.
    const sockets = [];
    const clients = [];
    const once = async (useTls) => {
        const socket = new node_net__WEBPACK_IMPORTED_MODULE_0__.Socket();
        sockets.push(socket);
        const timer = setTimeout(() => socket.destroy(new Error('timeout expired')), limit);
        timer.unref();
        let stream;
        try {
            ({ stream } = await (0,_tls_js__WEBPACK_IMPORTED_MODULE_4__/* .openStream */ .fv)(config.host, config.port, settings, useTls, socket));
        }
        catch (error) {
            socket.destroy();
            throw error;
        }
        finally {
            clearTimeout(timer);
        }
        const client = new pg__WEBPACK_IMPORTED_MODULE_1__/* ["default"].Client */ .Ay.Client({ ...config, stream: () => stream });
        clients.push(client);
        try {
            await client.connect();
            return client;
        }
        catch (error) {
            await client.end().catch(() => undefined);
            throw error;
        }
    };
    const attempt = (async () => {
        try {
            let client;
            if (settings.mode === 'allow' || settings.mode === 'prefer') {
                const first = settings.mode === 'prefer';
                client = await once(first).catch((error) => {
                    // libpq's fallbacks: a session refused for its TLS, and for prefer a failed handshake too.
                    const handshake = first && error instanceof _tls_js__WEBPACK_IMPORTED_MODULE_4__/* .TlsProblem */ .zd && error.handshake;
                    if (!refusedForTls(error) && !handshake)
                        throw error;
                    return once(!first);
                });
            }
            else {
                client = await once(settings.mode !== 'disable');
            }
            client.on('error', (error) => log.warning(`Database connection error: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .messageOf */ .bD)(error)}`));
            return { client };
        }
        catch (error) {
            return { error };
        }
    })();
    return {
        attempt,
        abandon: () => {
            for (const client of clients)
                void client.end().catch(() => undefined);
            for (const socket of sockets)
                socket.destroy();
        },
    };
}
/**
 * Connect, retrying transient failures with backoff until `waitTimeoutMs` has passed; fail at once on
 * anything that waiting cannot fix. `first`, when given, is an attempt already under way (started while
 * the migration files were read) and counts as the first.
 */
async function connectWithWait(databaseUrl, endpoint, waitTimeoutMs, clock, log, first, signal) {
    const deadline = clock.now() + waitTimeoutMs;
    let delay = 250;
    let attempts = 0;
    for (;;) {
        attempts += 1;
        // An attempt never outlives the deadline by much: a host that drops packets must not stretch wait-timeout.
        const attempt = await (attempts === 1 && first ? first : startConnecting(databaseUrl, deadline - clock.now(), log).attempt);
        if ('client' in attempt) {
            const session = (0,_session_js__WEBPACK_IMPORTED_MODULE_5__/* .setUpSession */ .T_)(attempt.client);
            // Awaited later; an error of it (a lost connection) shows in the next query too.
            session.catch(() => undefined);
            log.info(`Connected to ${describeEndpoint(endpoint)} as ${endpoint.user} after ${attempts} attempt(s).`);
            return { client: attempt.client, session };
        }
        const { error } = attempt;
        if (!isTransient(error))
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .UserError */ .yo(fatalConnectMessage(error, endpoint), { cause: error });
        const left = deadline - clock.now();
        if (left <= 0) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .UserError */ .yo(`Database at ${endpoint.host}:${endpoint.port} did not accept connections within wait-timeout ` +
                `(${Math.round(waitTimeoutMs / 1000)} s, ${attempts} attempts); last error: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .messageOf */ .bD)(error)}. ` +
                'Check the host and port, and that the database is running (give a service container a health check), or raise wait-timeout.', { cause: error });
        }
        log.info(`Database not ready (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .messageOf */ .bD)(error)}); retrying in ${(Math.min(delay, left) / 1000).toFixed(2)} s.`);
        await clock.sleep(Math.min(delay, left));
        if (signal?.aborted)
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .Cancelled */ .cJ(`The run was cancelled (${String(signal.reason)}) while waiting for the database; nothing was applied.`);
        delay = Math.min(delay * 2, 2_000);
    }
}
/**
 * Ask the server to cancel whatever statement `client`'s session is running: PostgreSQL's
 * CancelRequest (the session's process id and secret key) on a connection of its own, as libpq's
 * PQcancel does. Best effort, at most 3 s; it never throws.
 */
async function cancelRunningStatement(databaseUrl, client) {
    const { processID, secretKey } = client;
    if (processID === null || secretKey === null)
        return;
    const config = clientConfig(databaseUrl, 3_000);
    const socket = new node_net__WEBPACK_IMPORTED_MODULE_0__.Socket();
    const timer = setTimeout(() => socket.destroy(), 3_000);
    try {
        await (0,_tls_js__WEBPACK_IMPORTED_MODULE_4__/* .dial */ .zy)(config.host, config.port, socket);
        const request = Buffer.alloc(16);
        request.writeInt32BE(16, 0);
        request.writeInt32BE(80_877_102, 4);
        request.writeInt32BE(processID, 8);
        request.writeInt32BE(secretKey, 12);
        // The server reads the request and closes the connection.
        await new Promise((resolve) => {
            socket.once('close', () => resolve());
            socket.end(request);
        });
    }
    catch {
        // best effort
    }
    finally {
        clearTimeout(timer);
        socket.destroy();
    }
}


/***/ }),

/***/ 3794:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   LQ: () => (/* binding */ lostConnection),
/* harmony export */   Rk: () => (/* binding */ isConnectionError),
/* harmony export */   T_: () => (/* binding */ setUpSession),
/* harmony export */   Xz: () => (/* binding */ restoreSessionSql),
/* harmony export */   cG: () => (/* binding */ poolerError),
/* harmony export */   kw: () => (/* binding */ probeSessionStability),
/* harmony export */   qq: () => (/* binding */ watchConnection),
/* harmony export */   uA: () => (/* binding */ ourSettingsSql)
/* harmony export */ });
/* harmony import */ var pg__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3849);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(452);


/**
 * The session that holds the migration lock, and what keeps it trustworthy:
 * - it is set up so that the server never ends it for being idle (a long pg_dump leaves it idle, and
 *   an `idle_session_timeout` on the role would free the lock half-way through the run);
 * - after every migration it is put back to what a new session would be, with the `settings` input
 *   applied, so that the same files give the same database in one run or in several;
 * - its backend is known (`pg_backend_pid()`), so a connection pooler that hands our statements to
 *   other server sessions is noticed before anything relies on the lock;
 * - losing its connection is noticed, and stops the run before anything more is applied.
 */
/** Names of the settings that would let the server end our sessions, and the values we give them. */
const OUR_SETTINGS = [
    ['idle_session_timeout', '0', 140_000],
    ['idle_in_transaction_session_timeout', '0', 90_600],
    // The server checks every second that we are still there while a statement runs: if this job is
    // killed in the middle of a migration, it is rolled back and the lock is freed within seconds.
    ['client_connection_check_interval', '1000', 140_000],
    ['transaction_timeout', '0', 170_000],
];
/** Each of our settings, set only where the server has it (a CASE evaluates only the branch it takes). */
const SET_UP_SQL = "SELECT pg_backend_pid() AS pid, current_setting('server_version_num')::int AS version" +
    OUR_SETTINGS.map(([name, value, from]) => `, CASE WHEN current_setting('server_version_num')::int >= ${from} THEN set_config(${pg__WEBPACK_IMPORTED_MODULE_0__/* ["default"].escapeLiteral */ .Ay.escapeLiteral(name)}, ${pg__WEBPACK_IMPORTED_MODULE_0__/* ["default"].escapeLiteral */ .Ay.escapeLiteral(value)}, false) END`).join('');
/**
 * The first statement on a new connection: who we are talking to, and our session settings (only those
 * this server knows, so one statement serves every version). Sent without waiting, so that it goes out
 * together with whatever the run sends next.
 */
function setUpSession(client) {
    return client
        .query(SET_UP_SQL)
        .then(({ rows }) => ({
        backendPid: rows[0].pid,
        serverVersion: rows[0].version,
        proxied: rows[0].pid !== client.processID,
    }));
}
/** One statement that sets each name to its value for the session. Pure. */
function setConfigSql(values) {
    return `SELECT ${values.map(([name, value]) => `set_config(${pg__WEBPACK_IMPORTED_MODULE_0__/* ["default"].escapeLiteral */ .Ay.escapeLiteral(name)}, ${pg__WEBPACK_IMPORTED_MODULE_0__/* ["default"].escapeLiteral */ .Ay.escapeLiteral(value)}, false)`).join(', ') || 'NULL'}`;
}
/** Ours, as this server knows them. */
function ourSettings(serverVersion) {
    return OUR_SETTINGS.filter(([, , from]) => serverVersion >= from).map(([name, value]) => [name, value]);
}
/** Our own settings again, for after the `settings` input (which must not override them). Pure. */
function ourSettingsSql(serverVersion) {
    return setConfigSql(ourSettings(serverVersion));
}
/**
 * The statements that make a session what a new one would be (role, settings, temporary tables,
 * prepared statements, cursors, LISTEN, sequence state), then apply `settings` and our own settings
 * again; one simple query, so that it rides along with a migration's COMMIT without a round trip of its
 * own. Advisory locks are kept: the migration lock is one. Pure.
 */
function restoreSessionSql(settings, serverVersion) {
    return [
        'SET SESSION AUTHORIZATION DEFAULT',
        'RESET ALL',
        'DISCARD TEMP',
        'DISCARD SEQUENCES',
        'DEALLOCATE ALL',
        'CLOSE ALL',
        'UNLISTEN *',
        setConfigSql([...settings.map(({ name, value }) => [name, value]), ...ourSettings(serverVersion)]),
    ].join('; ');
}
function watchConnection(client) {
    let ended;
    let closing = false;
    const listeners = [];
    const end = (error) => {
        if (closing || ended)
            return;
        ended = error instanceof Error ? error : new Error(error === undefined ? 'the connection closed' : (0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .messageOf */ .bD)(error));
        for (const listener of listeners.splice(0))
            listener(ended);
    };
    client.on('error', end);
    client.on('end', () => end());
    return {
        lost: () => ended,
        onLost(listener) {
            if (ended)
                listener(ended);
            else
                listeners.push(listener);
        },
        assertAlive(what) {
            if (ended)
                throw lostConnection(ended, what);
        },
        closing() {
            closing = true;
        },
    };
}
/** The message for a lost lock connection: nothing more is applied, and why. */
function lostConnection(cause, what, heldLock = true) {
    if (!heldLock) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`Lost the database connection ${what} (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .messageOf */ .bD)(cause)}); nothing was changed. Run again when the database is back.`, { cause });
    }
    return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`Lost the database connection that holds the migration lock ${what} (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .messageOf */ .bD)(cause)}); the server freed the lock with ` +
        'it, so nothing more is applied. Run again: the run starts from what the migrations table says is applied. If the server ' +
        'ends idle sessions (idle_session_timeout) or a network device drops quiet connections, that is the likely cause.', { cause });
}
/** Whether an error means the connection itself failed (lost, terminated, server shutting down). */
function isConnectionError(error) {
    const code = error.code;
    if (typeof code === 'string' && (code.startsWith('08') || ['57P01', '57P02', '57P03', '57P05', '25P03', '25P04', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code))) {
        return true;
    }
    return /Connection terminated|not queryable|Client was closed|ECONNRESET|EPIPE|socket hang up/i.test((0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .messageOf */ .bD)(error));
}
/** The one message for a session that a pooler shares with others: the lock cannot be trusted. */
function poolerError(what) {
    return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`The database connection is not one server session: ${what}. A connection pooler in transaction mode (PgBouncer ` +
        'pool_mode=transaction, and the pooled URLs of Supabase, Neon, RDS Proxy and others) hands each statement to whichever ' +
        'server session is free, so a session-level migration lock means nothing and another run could apply the same migration. ' +
        'Use the direct URL of the database for migrations (a pooler in session mode also works); nothing was applied.');
}
/**
 * Behind a proxy, check that our statements keep going to one server session before relying on it: a
 * second connection opens a transaction, which in transaction pooling tends to be given the server
 * session we just used (pools hand out the most recently freed one first), and holds it; our next
 * statement must still run in our session. Two rounds. Throws poolerError when it does not.
 */
async function probeSessionStability(client, info, openProbe) {
    for (let round = 0; round < 2; round += 1) {
        const probe = await openProbe();
        try {
            await probe.query('BEGIN');
            const { rows: held } = await probe.query('SELECT pg_backend_pid() AS pid');
            // Checked first: with a pool of one server session, our own next statement would wait for it.
            if (held[0].pid === info.backendPid) {
                throw poolerError(`a second connection was given our server session (pid ${info.backendPid})`);
            }
            const { rows: ours } = await client.query('SELECT pg_backend_pid() AS pid');
            if (ours[0].pid !== info.backendPid) {
                throw poolerError(`our statements ran in server session pid ${info.backendPid}, then in pid ${ours[0].pid}`);
            }
            await probe.query('ROLLBACK');
        }
        finally {
            await probe.end().catch(() => undefined);
        }
    }
}


/***/ }),

/***/ 6203:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Bl: () => (/* binding */ tlsSettings),
/* harmony export */   fv: () => (/* binding */ openStream),
/* harmony export */   ww: () => (/* binding */ withoutTlsParams),
/* harmony export */   yj: () => (/* binding */ SSL_MODES),
/* harmony export */   zd: () => (/* binding */ TlsProblem),
/* harmony export */   zy: () => (/* binding */ dial)
/* harmony export */ });
/* unused harmony export tlsOptions */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3024);
/* harmony import */ var node_net__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(7030);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(8161);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(6760);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(452);





/**
 * `sslmode` with libpq's meaning, for our connections as for pg_dump's (which is libpq itself). The pg
 * driver gives the modes meanings of its own (it treats `require` as `verify-full`, prints a warning
 * about it, and has no fallback for `prefer` and `allow`), so we negotiate TLS ourselves, as libpq
 * does, and hand the driver a stream that is already plain or encrypted:
 *
 * | mode | TLS | server certificate |
 * |---|---|---|
 * | `disable` | never | - |
 * | `allow` | only if the server refuses the plain connection | not checked |
 * | `prefer` (the default) | if the server offers it, else plain on the same connection | not checked |
 * | `require` | always | not checked, unless a root certificate is given (then as `verify-ca`) |
 * | `verify-ca` | always | signed by `sslrootcert` (or ~/.postgresql/root.crt; `system`: the system's CAs) |
 * | `verify-full` | always | as `verify-ca`, and issued for the host name |
 *
 * Unix sockets never use TLS, as in libpq.
 */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
/** URL parameters about TLS: read here, removed before the URL reaches the driver. */
const TLS_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'sslnegotiation', 'ssl', 'uselibpqcompat'];
/** The query string of a connection URL, parsed (libpq's `user@/db?host=/socket` form too). */
function queryOf(url) {
    const at = url.indexOf('?');
    return new URLSearchParams(at < 0 ? '' : url.slice(at + 1).split('#')[0]);
}
/** The TLS parameters of a URL. Pure (config.ts has already refused unknown modes). */
function tlsSettings(url) {
    const query = queryOf(url);
    // As libpq 16 does: the system's CAs mean verify-full unless said otherwise (config.ts refuses weaker modes).
    const mode = (query.get('sslmode') || (query.get('sslrootcert') === 'system' ? 'verify-full' : 'prefer'));
    return { mode, rootCert: query.get('sslrootcert') || undefined, cert: query.get('sslcert') || undefined, key: query.get('sslkey') || undefined };
}
/** The URL without its TLS parameters: what the driver is given (it would otherwise apply its own meaning). Pure. */
function withoutTlsParams(url) {
    const at = url.indexOf('?');
    if (at < 0)
        return url;
    const query = new URLSearchParams(url.slice(at + 1));
    for (const name of TLS_PARAMS)
        query.delete(name);
    const rest = query.toString();
    return rest === '' ? url.slice(0, at) : `${url.slice(0, at)}?${rest}`;
}
/** libpq's default files, in ~/.postgresql. */
function defaultFile(name) {
    const file = node_path__WEBPACK_IMPORTED_MODULE_3__.join(node_os__WEBPACK_IMPORTED_MODULE_2__.homedir(), '.postgresql', name);
    return (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.existsSync)(file) ? file : undefined;
}
/** Where a TLS setting goes wrong in a way that waiting cannot fix: the message says what to change. */
class TlsProblem extends _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .UserError */ .yo {
    /** The TLS handshake itself failed (prefer then tries a plain connection, as libpq does). */
    handshake = false;
}
/**
 * The options for tls.connect in `mode`: whether to verify the chain, and the host name. Reads the
 * certificate files (a missing one is a TlsProblem naming it).
 */
function tlsOptions(settings, host) {
    const read = (file, what) => {
        try {
            return (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(file);
        }
        catch (error) {
            throw new TlsProblem(`${what} ${file} in database-url cannot be read (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .messageOf */ .bD)(error)}); fix the path, or remove it.`, { cause: error });
        }
    };
    const options = { host };
    // SNI is a host name, never an address.
    if (node_net__WEBPACK_IMPORTED_MODULE_1__.isIP(host) === 0)
        options.servername = host;
    const cert = settings.cert ?? defaultFile('postgresql.crt');
    const key = settings.key ?? defaultFile('postgresql.key');
    if (cert && key) {
        options.cert = read(cert, 'sslcert');
        options.key = read(key, 'sslkey');
    }
    const rootFile = settings.rootCert ?? defaultFile('root.crt');
    const verify = settings.mode === 'verify-ca' || settings.mode === 'verify-full' || (settings.mode === 'require' && rootFile !== undefined);
    if (!verify) {
        options.rejectUnauthorized = false;
        return options;
    }
    if (rootFile === undefined) {
        throw new TlsProblem(`sslmode=${settings.mode} verifies the server's certificate, but database-url has no sslrootcert and ~/.postgresql/root.crt does not exist; ` +
            'add sslrootcert=/path/to/ca.pem (the CA that signed the server certificate), or sslrootcert=system for the system\'s trusted CAs, ' +
            'or use sslmode=require to encrypt without verifying.');
    }
    if (rootFile !== 'system')
        options.ca = read(rootFile, 'sslrootcert');
    options.rejectUnauthorized = true;
    // verify-ca (and require with a root certificate): the chain, not the name.
    if (settings.mode !== 'verify-full')
        options.checkServerIdentity = () => undefined;
    return options;
}
/** A TCP or Unix socket connected to the server, or an error; `socket` is there to be destroyed at any time. */
function dial(host, port, socket) {
    return new Promise((resolve, reject) => {
        // Destroyed before it connected (the run gave up on it): a close without an error.
        const closed = () => reject(new Error('Connection terminated unexpectedly before it was made'));
        socket.once('error', reject);
        socket.once('close', closed);
        socket.once('connect', () => {
            socket.off('error', reject);
            socket.off('close', closed);
            socket.setNoDelay(true);
            // TCP keepalives: a connection that stays quiet through a long backup is not dropped by a firewall.
            if (!host.startsWith('/'))
                socket.setKeepAlive(true, 10_000);
            resolve();
        });
        if (host.startsWith('/'))
            socket.connect(node_path__WEBPACK_IMPORTED_MODULE_3__.join(host, `.s.PGSQL.${port}`));
        else
            socket.connect(port, host);
    });
}
/** Ask for TLS (SSLRequest) and read the server's one-byte answer: 'S' yes, 'N' no. */
function requestTls(socket) {
    return new Promise((resolve, reject) => {
        const onData = (data) => {
            cleanup();
            const answer = String.fromCharCode(data[0]);
            if (data.length > 1) {
                reject(new Error('the server sent more than its answer to the SSL request'));
            }
            else if (answer === 'S' || answer === 'N') {
                resolve(answer);
            }
            else {
                reject(new Error('the server answered the SSL request with an error'));
            }
        };
        // Worded as the driver words a connection that ends while it starts, so that waiting retries it.
        const onClose = () => {
            cleanup();
            reject(new Error('Connection terminated unexpectedly during the SSL request'));
        };
        const onError = (error) => {
            cleanup();
            reject(error);
        };
        const cleanup = () => {
            socket.off('data', onData);
            socket.off('error', onError);
            socket.off('close', onClose);
        };
        socket.on('data', onData);
        socket.once('error', onError);
        socket.once('close', onClose);
        const request = Buffer.alloc(8);
        request.writeInt32BE(8, 0);
        request.writeInt32BE(80_877_103, 4);
        socket.write(request);
    });
}
/** Node's TLS is loaded only when a connection uses it (loading it costs every run a few milliseconds). */
async function startTls(socket, options) {
    const { connect } = await Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 1692, 19));
    return new Promise((resolve, reject) => {
        const secure = connect({ ...options, socket });
        secure.once('error', reject);
        secure.once('secureConnect', () => {
            secure.off('error', reject);
            resolve(secure);
        });
    });
}
/**
 * A stream for the driver that is already connected: the driver calls connect() on the stream it is
 * given and waits for 'connect', so that call is answered at once.
 */
function readyStream(stream) {
    stream.connect = () => {
        setImmediate(() => stream.emit('connect'));
        return stream;
    };
    return stream;
}
/**
 * Open the connection and negotiate TLS as `settings.mode` says; `tls` is false for `allow`'s first
 * try and for `disable`. Returns the stream to give the driver, and whether it is encrypted.
 */
async function openStream(host, port, settings, useTls, socket) {
    await dial(host, port, socket);
    if (!useTls || host.startsWith('/'))
        return { stream: readyStream(socket), encrypted: false };
    const options = tlsOptions(settings, host);
    const answer = await requestTls(socket);
    if (answer === 'N') {
        if (settings.mode === 'prefer' || settings.mode === 'allow')
            return { stream: readyStream(socket), encrypted: false };
        throw new TlsProblem(`The server does not accept SSL connections, but sslmode=${settings.mode} in database-url requires SSL; ` +
            'turn ssl on in the server, or use sslmode=prefer (SSL when offered) or sslmode=disable.');
    }
    try {
        return { stream: readyStream(await startTls(socket, options)), encrypted: true };
    }
    catch (error) {
        const problem = new TlsProblem(certificateAdvice(error, settings.mode), { cause: error });
        problem.handshake = true;
        throw problem;
    }
}
/** What to change when the TLS handshake fails: never "set sslmode=require" when it is already set. */
function certificateAdvice(error, mode) {
    const message = (0,_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .messageOf */ .bD)(error);
    const code = error.code;
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
        return (`The server's certificate is not issued for the host in database-url (${message}); with sslmode=verify-full the host must be ` +
            'one of the names in the certificate: connect by that name, or use sslmode=verify-ca to check the signature only.');
    }
    if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO/.test(code)) {
        return (`The server's certificate could not be verified (${message}) with sslmode=${mode}; point sslrootcert in database-url at the CA ` +
            'that signed it (for a self-signed certificate, the certificate itself), or use sslmode=require to encrypt without verifying.');
    }
    return mode === 'prefer' || mode === 'allow'
        ? `The SSL handshake with the server failed (${message}), and so did a plain connection; check the server's SSL settings, or use sslmode=disable.`
        : `The SSL handshake with the server failed (${message}) with sslmode=${mode}; check the server's SSL settings, or use sslmode=prefer to fall back to a plain connection.`;
}


/***/ }),

/***/ 2654:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   c: () => (/* binding */ EngineFailed)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(452);

/**
 * A migration the engine ran failed (or the engine's program did): one line naming the file, what the
 * database or the tool said, and what is now applied; `location` points at the file (an annotation).
 */
class EngineFailed extends _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo {
    /** The SQLSTATE, when the tool printed one. */
    code;
    /** What is applied could not be read afterwards: the report must not say. */
    stateUnknown;
    constructor(message, options = {}) {
        super(message, { location: options.location });
        this.name = 'EngineFailed';
        this.code = options.code;
        this.stateUnknown = options.stateUnknown === true;
    }
}


/***/ }),

/***/ 452:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   KE: () => (/* binding */ listed),
/* harmony export */   TN: () => (/* binding */ oneLine),
/* harmony export */   bD: () => (/* binding */ messageOf),
/* harmony export */   cJ: () => (/* binding */ Cancelled),
/* harmony export */   yo: () => (/* binding */ UserError)
/* harmony export */ });
/**
 * A failure the user can fix: bad input, a bad file, a database that refuses us, a failed migration.
 * The message is one line that names the input or file, the value (never a secret) and the fix; it is
 * shown without a stack trace.
 */
class UserError extends Error {
    location;
    constructor(message, options = {}) {
        super(oneLine(message), { cause: options.cause });
        this.name = 'UserError';
        this.location = options.location;
    }
}
/** The run was cancelled (SIGTERM, SIGINT); the message says where and what became of it. */
class Cancelled extends UserError {
}
/** Collapse whitespace so that a message stays on one log line. */
function oneLine(text) {
    return text.replace(/\s*\n\s*/g, ' ').trim();
}
/** The message of anything thrown, including non-Error values. */
function messageOf(error) {
    if (error instanceof Error)
        return error.message;
    if (typeof error === 'string')
        return error;
    try {
        return JSON.stringify(error) ?? String(error);
    }
    catch {
        return String(error);
    }
}
/**
 * Names for one log line or message: the first 20, then how many more (a plan of 100,000 files would
 * otherwise be a line of megabytes). Pure.
 */
function listed(names, first = 20) {
    if (names.length <= first)
        return names.join(', ');
    return `${names.slice(0, first).join(', ')} and ${names.length - first} more`;
}


/***/ }),

/***/ 5691:
/***/ ((__webpack_module__, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(__webpack_module__, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _runtime_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(5875);
/* harmony import */ var _cli_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(1042);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(452);
/* harmony import */ var _main_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(4994);
/**
 * The bundle's entry: the only module with side effects. The GitHub runner runs this file; the package's
 * `bin/migrate-action.js` marks the process as the CLI first and then loads this same bundle.
 */
// First: it must run before pg is loaded.




const CLI = Symbol.for('migrate-action.cli');
// GitHub and GitLab stop a cancelled or timed-out job with SIGINT or SIGTERM, and kill it a few seconds
// later. The first signal cancels the run: the statement running on the server is cancelled (a migration
// is rolled back), child processes are stopped, and outputs, summary and report are still written. A
// second signal ends the process at once.
const cancel = new AbortController();
const onSignal = (signal) => {
    if (cancel.signal.aborted)
        process.exit(signal === 'SIGINT' ? 130 : 143);
    process.stderr.write(`migrate-action: ${signal} received: cancelling the run.\n`);
    cancel.abort(signal);
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
// npx runs the CLI under `sh -c`, and on SIGTERM it ends that shell without passing the signal on: the
// CLI would run on unseen, orphaned. Under npx (npm sets npm_command=exec), an end of the parent process
// is therefore a cancellation too; a run started any other way may outlive its parent on purpose.
const parent = process.ppid;
const underNpx = process.env.npm_command === 'exec';
const orphaned = setInterval(() => {
    if (underNpx && process.ppid !== parent && !cancel.signal.aborted) {
        process.stderr.write('migrate-action: the parent process ended: cancelling the run.\n');
        cancel.abort('its parent process ended');
    }
}, 250);
orphaned.unref();
try {
    if (globalThis[CLI]) {
        process.exitCode = await (0,_cli_js__WEBPACK_IMPORTED_MODULE_1__/* .runCli */ .ak)(process.argv.slice(2), {
            signal: cancel.signal,
            env: process.env,
            cwd: process.cwd(),
            tty: Boolean(process.stdout.isTTY),
            write: (line) => process.stdout.write(`${line}\n`),
            writeError: (line) => process.stderr.write(`${line}\n`),
            now: () => Math.floor(Date.now() / 1000),
        });
    }
    else {
        await (0,_main_js__WEBPACK_IMPORTED_MODULE_3__/* .run */ .eF)(cancel.signal);
    }
}
catch (error) {
    // runOn reports every expected failure itself; this is the last net for a bug, still one line.
    process.stderr.write(`migrate-action: unexpected error: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .messageOf */ .bD)(error)}\n`);
    process.exitCode = 1;
}
process.off('SIGTERM', onSignal);
process.off('SIGINT', onSignal);
clearInterval(orphaned);

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 646:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   CU: () => (/* binding */ BACKUP_MODES),
/* harmony export */   Fz: () => (/* binding */ LINT_MODES),
/* harmony export */   Lo: () => (/* binding */ COMMANDS),
/* harmony export */   cD: () => (/* binding */ BACKUP_FORMATS),
/* harmony export */   mc: () => (/* binding */ INPUTS),
/* harmony export */   py: () => (/* binding */ OUTPUTS),
/* harmony export */   ug: () => (/* binding */ ENGINES)
/* harmony export */ });
/* unused harmony export DEFAULT_LOCK_KEY */
const COMMANDS = ['apply', 'plan', 'check', 'baseline', 'status', 'rollback'];
const ENGINES = ['postgres-migrations', 'alembic', 'node-pg-migrate', 'dbmate'];
/** postgres-migrations' own advisory lock key: the default for every engine. */
const DEFAULT_LOCK_KEY = '-8525285245963000605';
const BACKUP_FORMATS = ['custom', 'plain'];
const BACKUP_MODES = ['auto', 'true', 'false'];
const LINT_MODES = ['warn', 'error', 'off'];
const INPUTS = [
    {
        name: 'database-url',
        description: 'PostgreSQL connection URL, postgres://user:password@host:port/database?sslmode=... Pass it from a secret; it is masked before anything is logged.',
        required: true,
    },
    {
        name: 'command',
        description: 'What to do: apply (run pending migrations), plan (read-only: list what apply would run), check (plan that fails when anything is pending or drifted), baseline (record the migrations up to target-revision as applied without running them), status (read-only: list applied and pending migrations; exits 0), rollback (undo the applied migrations above target-revision, latest first, with their down files).',
        default: 'apply',
        options: COMMANDS,
    },
    {
        name: 'engine',
        description: "The migration tool: postgres-migrations (built in), alembic, node-pg-migrate or dbmate (the job's own installation of it).",
        default: 'postgres-migrations',
        options: ENGINES,
    },
    {
        name: 'migrations-dir',
        description: "Directory of migration files, relative to the workspace (postgres-migrations: <id>_<name>.sql or .js; node-pg-migrate and dbmate: their files; alembic: not used, see alembic-config).",
        default: 'migrations',
    },
    {
        name: 'target-revision',
        description: "Apply (or plan) only up to and including this migration, by the engine's id (postgres-migrations: the number; alembic: the revision; dbmate: the version; node-pg-migrate: the file name without extension); later ones stay pending. Required for baseline. Empty = the latest. Required for rollback: the revision to go back to (0 or base: nothing applied), or -N to undo the last N.",
        default: '',
        regex: '^(|-[1-9][0-9]{0,5}|[A-Za-z0-9][A-Za-z0-9_.-]{0,254})$',
    },
    {
        name: 'backup',
        description: "Take a pg_dump of the database before changing it, only when there is something to change: auto (a backup for rollback, none for apply), true or false. In the GitLab component it is a string: quote it (backup: 'true').",
        default: 'auto',
        options: BACKUP_MODES,
    },
    {
        name: 'backup-retention',
        description: 'After a successful backup, remove older dumps of the same database in backup-dir that migrate-action named (never other files): 7d keeps a week (also 12h, 2w), 10 keeps the last ten. Only when a backup is taken. Empty = keep everything.',
        default: '',
        regex: '^(|[1-9][0-9]{0,5}[hdw]?)$',
    },
    {
        name: 'dry-run',
        description: 'rollback only: list what would be undone, with each down SQL and what it drops, without taking the lock or changing anything (true or false). For apply, use command plan.',
        default: 'false',
        type: 'boolean',
    },
    {
        name: 'backup-dir',
        description: 'Directory for the dump files; empty = <runner temp dir>/migrate-backups. Created with mode 0700 when missing (an existing one keeps its mode); each dump is 0600.',
        default: '',
    },
    {
        name: 'backup-format',
        description: 'pg_dump format: custom (restore with pg_restore) or plain (SQL, restore with psql).',
        default: 'custom',
        options: BACKUP_FORMATS,
    },
    {
        name: 'pg-dump-path',
        description: 'Path of the pg_dump to use for backups; empty = the first pg_dump at least as new as the server, on PATH or in /usr/lib/postgresql/*/bin.',
        default: '',
    },
    {
        name: 'lock-wait-timeout',
        description: "Seconds to wait for another run's migration lock before failing; 0 fails at once if the lock is held.",
        default: '300',
        type: 'number',
    },
    {
        name: 'wait-timeout',
        description: 'Seconds to wait for the database to accept connections (connection refused, starting up, DNS).',
        default: '60',
        type: 'number',
    },
    {
        name: 'settings',
        description: 'Session settings for the migrations, one name=value per line (e.g. lock_timeout=5s, statement_timeout=15min).',
        default: '',
    },
    {
        name: 'lock-retries',
        description: 'How many times to retry a migration that failed on lock_timeout (SQLSTATE 55P03), with backoff.',
        default: '0',
        type: 'number',
    },
    {
        name: 'lock-key',
        description: "The advisory lock key (a bigint) held for the whole run. The default is postgres-migrations' key, the same for every engine, so everything migrate-action runs on one database is serialised; set it to share an application's own key (e.g. the one it takes around alembic upgrade head on start-up).",
        default: DEFAULT_LOCK_KEY,
        regex: '^-?[0-9]{1,19}$',
    },
    {
        name: 'python',
        description: 'alembic: the Python interpreter that has Alembic and your project installed (e.g. .venv/bin/python, relative to the workspace, or a name on PATH).',
        default: 'python3',
    },
    {
        name: 'alembic-config',
        description: "alembic: the Alembic configuration file, relative to the workspace; its script_location and env.py are used as `alembic -c` would.",
        default: 'alembic.ini',
    },
    {
        name: 'engine-path',
        description: 'node-pg-migrate and dbmate: the program to run; empty = node_modules/.bin/node-pg-migrate in the workspace, or dbmate on PATH.',
        default: '',
    },
    {
        name: 'lint',
        description: "The review of pending statements (plan, check and apply): warn (findings are warnings and summary rows; the run goes on), error (findings fail plan and check, and stop apply before anything changes) or off. A comment -- migrate-action:ignore <rule> <reason> on the line before a statement silences that rule for it.",
        default: 'warn',
        options: LINT_MODES,
    },
    {
        name: 'shadow-database-url',
        description: "plan and check: the URL of an empty throwaway database (e.g. the job's postgres service) of the same PostgreSQL major version. The target's schema is copied into it (pg_dump --schema-only) and the pending statements run there one by one, as the deploy would run them: each predicted lock and rewrite is marked confirmed or mismatch, and a migration that fails on the copy fails the plan. Refused when it is the target database itself or not empty; emptied again after the run. A secret, masked like database-url. Empty = no shadow run.",
        default: '',
    },
    {
        name: 'comment',
        description: 'plan and check on a pull request (GitHub) or merge request (GitLab): post the plan (pending migrations with their SQL, what each statement locks, review findings, drift or the failure) as one comment per migrations directory and database, updated in place on every push; it says so when nothing is pending any more (true or false). Needs github-token or gitlab-token. Other events and commands post nothing; a refused token is a warning, never a failure.',
        default: 'false',
        type: 'boolean',
    },
    {
        name: 'github-token',
        description: 'The token the comment is posted with; the default, the workflow token, needs permissions: pull-requests: write (a pull request from a fork gets a read-only one: a warning, the plan stays in the summary). CLI: GITHUB_TOKEN.',
        default: '',
        actionDefault: '${{ github.token }}',
        only: 'action',
    },
    {
        name: 'gitlab-token',
        description: 'The token the comment is posted with, from a masked CI/CD variable (gitlab-token: $PLAN_COMMENT_TOKEN): a project or personal access token with the api scope and at least the Reporter role (the job token cannot write notes). CLI: GITLAB_TOKEN.',
        default: '',
        only: 'component',
    },
    {
        name: 'summary',
        description: 'Write the job summary (true or false).',
        default: 'true',
        type: 'boolean',
    },
];
const OUTPUTS = [
    {
        name: 'status',
        description: 'applied, up-to-date (nothing to do), pending (plan, check and status: something would be applied; a rollback dry run: something would be undone), baselined, rolled-back or failed.',
    },
    {
        name: 'revision',
        description: "The engine's id of the latest applied migration after the run (Alembic: the revision, heads joined by a space; dbmate: the version; node-pg-migrate: the name). When none is applied: 0 for postgres-migrations, empty for the other engines.",
    },
    { name: 'revision-name', description: "Name of that migration (e.g. create-users; Alembic: the revision's message); empty when none." },
    { name: 'previous-revision', description: 'The revision before the run.' },
    { name: 'applied-count', description: 'How many migrations this run applied.' },
    { name: 'applied', description: 'JSON array of the file names this run applied (the first 1,000; applied-count is exact).' },
    { name: 'pending-count', description: 'How many migrations are still pending after the run.' },
    { name: 'pending', description: 'JSON array of the file names still pending after the run (the first 1,000; pending-count is exact).' },
    { name: 'rolled-back-count', description: 'How many migrations this run rolled back.' },
    {
        name: 'rolled-back',
        description: 'JSON array of the file names this run rolled back, the latest first (the first 1,000; rolled-back-count is exact).',
    },
    { name: 'backup-path', description: 'The dump file; empty when none was taken.' },
    { name: 'findings-count', description: 'How many review findings the pending statements have (silenced ones not counted); 0 when none or lint is off.' },
    {
        name: 'findings',
        description: 'JSON array of the review findings: rule, file, line, statement, message (the first 1,000; silenced ones not listed); [] when none or lint is off.',
    },
    {
        name: 'error',
        description: 'One-line message when the run failed (status failed, or check found something pending); empty otherwise.',
    },
];


/***/ }),

/***/ 4994:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  eF: () => (/* binding */ run),
  l9: () => (/* binding */ runOn)
});

// UNUSED EXPORTS: readInputs

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
;// CONCATENATED MODULE: ./lib/clock.js
const systemClock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

;// CONCATENATED MODULE: ./node_modules/zod/v4/core/util.js

// functions
function assertEqual(val) {
    return val;
}
function assertNotEqual(val) {
    return val;
}
function toZod() {
    return (schema) => schema;
}
function assertIs(_arg) { }
function assertNever(_x) {
    throw new Error("Unexpected value in exhaustive check");
}
function assert(_) { }
function getEnumValues(entries) {
    const numericValues = Object.values(entries).filter((v) => typeof v === "number");
    const values = Object.entries(entries)
        .filter(([k, _]) => numericValues.indexOf(+k) === -1)
        .map(([_, v]) => v);
    return values;
}
function joinValues(array, separator = "|") {
    return array.map((val) => stringifyPrimitive(val)).join(separator);
}
function jsonStringifyReplacer(_, value) {
    if (typeof value === "bigint")
        return value.toString();
    return value;
}
// the accessor lives on a shared prototype: an own accessor makes every box a dictionary-mode object (~360 B and a slow load per read against ~100 B and an inlined getter here)
class Cached {
    constructor(getter) {
        this._getter = getter;
        this._value = undefined;
    }
    get value() {
        const getter = this._getter;
        if (getter !== undefined) {
            this._value = getter();
            this._getter = undefined;
        }
        return this._value;
    }
}
function cached(getter) {
    return new Cached(getter);
}
function nullish(input) {
    return input === null || input === undefined;
}
function cleanRegex(source) {
    const start = source.startsWith("^") ? 1 : 0;
    const end = source.endsWith("$") ? source.length - 1 : source.length;
    return source.slice(start, end);
}
function floatSafeRemainder(val, step) {
    const ratio = val / step;
    const roundedRatio = Math.round(ratio);
    // `val` and `step` each round to a double before the division rounds again, so a true decimal multiple's quotient can sit up to 1.5 of these scaled epsilons from the integer. A 1x tolerance therefore rejected 2.03 as a multiple of 0.07; 4x covers the worst case with margin.
    const tolerance = 4 * Number.EPSILON * Math.max(Math.abs(ratio), 1);
    if (Math.abs(ratio - roundedRatio) < tolerance)
        return 0;
    return ratio - roundedRatio;
}
const EVALUATING = /* @__PURE__*/ (/* unused pure expression or super */ null && (Symbol("evaluating")));
function defineLazy(object, key, getter) {
    let value = undefined;
    Object.defineProperty(object, key, {
        get() {
            if (value === EVALUATING) {
                // Circular reference detected, return undefined to break the cycle
                return undefined;
            }
            if (value === undefined) {
                value = EVALUATING;
                value = getter();
            }
            return value;
        },
        set(v) {
            Object.defineProperty(object, key, {
                value: v,
                // configurable: true,
            });
            // object[key] = v;
        },
        configurable: true,
    });
}
function objectClone(obj) {
    return Object.create(Object.getPrototypeOf(obj), Object.getOwnPropertyDescriptors(obj));
}
function assignProp(target, prop, value) {
    Object.defineProperty(target, prop, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
    });
}
/**
 * Whichever object a def's `shape` currently answers from: the one the caller passed until the first read, the frozen copy after it.
 *
 * Its keys and descriptors read without invoking anything, which is what lets a discriminated union check its discriminator, and the cycle walk read a shape, without resolving a getter that references the schema being constructed. A def that answers `shape` from an accessor of its own has none.
 */
function rawShape(def) {
    const desc = Object.getOwnPropertyDescriptor(def, "shape");
    return desc?.get ? desc.get.raw : desc?.value;
}
// where a builder reads its source's keys and descriptors, resolving only a shape a def answers for itself. A shape resolves by object spread, so only its enumerable keys are ever part of it.
function sourceShape(schema) {
    return rawShape(schema._zod.def) ?? schema._zod.def.shape;
}
// a key whose value is not settled yet, self-caching so every read after the first gets the same one
function deferProp(target, key, getter) {
    Object.defineProperty(target, key, {
        get() {
            const value = getter();
            assignProp(this, key, value);
            return value;
        },
        enumerable: true,
        configurable: true,
    });
}
// Writes a settled key. A plain assignment is much cheaper than `defineProperty` and produces the same descriptor, but it runs whatever setter already answers to the key — an accessor this shape deferred, or an inherited one, which `__proto__` has on every object and prototype pollution can add for any name.
function putProp(target, key, value) {
    if (key in target)
        assignProp(target, key, value);
    else
        target[key] = value;
}
/**
 * Copies `keys` of `source`'s shape onto `target`, each value passed through `wrap`.
 *
 * A key the source has resolved is copied through now, so the derived shape states it outright and nothing has to resolve it to learn what it holds. A key the source still defers stays deferred, and reads back through the source's own `shape`, so it resolves once and both shapes get that one schema.
 */
function mirrorShape(target, source, keys, wrap) {
    const raw = sourceShape(source);
    for (const key of keys) {
        const desc = Object.getOwnPropertyDescriptor(raw, key);
        if (!desc.enumerable)
            continue;
        if (desc.get) {
            deferProp(target, key, () => {
                const value = source._zod.def.shape[key];
                return wrap ? wrap(value, key) : value;
            });
        }
        else
            putProp(target, key, wrap ? wrap(desc.value, key) : desc.value);
    }
}
// same, for a plain shape a caller passed rather than a schema's
function mirrorProps(target, source) {
    for (const key of Reflect.ownKeys(source)) {
        const desc = Object.getOwnPropertyDescriptor(source, key);
        if (!desc.enumerable)
            continue;
        if (desc.get)
            deferProp(target, key, () => source[key]);
        else
            putProp(target, key, desc.value);
    }
}
function mergeDefs(...defs) {
    const mergedDescriptors = {};
    for (const def of defs) {
        const descriptors = Object.getOwnPropertyDescriptors(def);
        Object.assign(mergedDescriptors, descriptors);
    }
    return Object.defineProperties({}, mergedDescriptors);
}
function cloneDef(schema) {
    return mergeDefs(schema._zod.def);
}
function getElementAtPath(obj, path) {
    if (!path)
        return obj;
    return path.reduce((acc, key) => acc?.[key], obj);
}
function promiseAllObject(promisesObj) {
    const keys = Object.keys(promisesObj);
    const promises = keys.map((key) => promisesObj[key]);
    return Promise.all(promises).then((results) => {
        const resolvedObj = {};
        for (let i = 0; i < keys.length; i++) {
            resolvedObj[keys[i]] = results[i];
        }
        return resolvedObj;
    });
}
function randomString(length = 10) {
    const chars = "abcdefghijklmnopqrstuvwxyz";
    let str = "";
    for (let i = 0; i < length; i++) {
        str += chars[Math.floor(Math.random() * chars.length)];
    }
    return str;
}
function esc(str) {
    return JSON.stringify(str);
}
function slugify(input) {
    return input
        .toLowerCase()
        .trim()
        .replace(/[^\w\s-]/g, "")
        .replace(/[\s_-]+/g, "-")
        .replace(/^-+|-+$/g, "");
}
const captureStackTrace = ("captureStackTrace" in Error ? Error.captureStackTrace : (..._args) => { });
function isObject(data) {
    return typeof data === "object" && data !== null && !Array.isArray(data);
}
const allowsEval = /* @__PURE__*/ (/* unused pure expression or super */ null && (cached(() => {
    // Skip the probe under `jitless`: strict CSPs report the caught `new Function` as a `securitypolicyviolation` even though the throw is swallowed.
    if (globalConfig.jitless) {
        return false;
    }
    // @ts-ignore
    if (typeof navigator !== "undefined" && navigator?.userAgent?.includes("Cloudflare")) {
        return false;
    }
    try {
        const F = Function;
        new F("");
        return true;
    }
    catch (_) {
        return false;
    }
})));
function isPlainObject(o) {
    if (isObject(o) === false)
        return false;
    // modified constructor
    const ctor = o.constructor;
    if (ctor === undefined)
        return true;
    if (typeof ctor !== "function")
        return true;
    // modified prototype
    const prot = ctor.prototype;
    if (isObject(prot) === false)
        return false;
    // ctor doesn't have static `isPrototypeOf`
    if (Object.prototype.hasOwnProperty.call(prot, "isPrototypeOf") === false) {
        return false;
    }
    return true;
}
function shallowClone(o) {
    if (isPlainObject(o))
        return { ...o };
    if (Array.isArray(o))
        return [...o];
    if (o instanceof Map)
        return new Map(o);
    if (o instanceof Set)
        return new Set(o);
    return o;
}
function numKeys(data) {
    let keyCount = 0;
    for (const key in data) {
        if (Object.prototype.hasOwnProperty.call(data, key)) {
            keyCount++;
        }
    }
    return keyCount;
}
const getParsedType = (data) => {
    const t = typeof data;
    switch (t) {
        case "undefined":
            return "undefined";
        case "string":
            return "string";
        case "number":
            return Number.isNaN(data) ? "nan" : "number";
        case "boolean":
            return "boolean";
        case "function":
            return "function";
        case "bigint":
            return "bigint";
        case "symbol":
            return "symbol";
        case "object":
            if (Array.isArray(data)) {
                return "array";
            }
            if (data === null) {
                return "null";
            }
            if (data.then && typeof data.then === "function" && data.catch && typeof data.catch === "function") {
                return "promise";
            }
            if (typeof Map !== "undefined" && data instanceof Map) {
                return "map";
            }
            if (typeof Set !== "undefined" && data instanceof Set) {
                return "set";
            }
            if (typeof Date !== "undefined" && data instanceof Date) {
                return "date";
            }
            // @ts-ignore
            if (typeof File !== "undefined" && data instanceof File) {
                return "file";
            }
            return "object";
        default:
            throw new Error(`Unknown data type: ${t}`);
    }
};
const propertyKeyTypes = /* @__PURE__*/ new Set(["string", "number", "symbol"]);
const primitiveTypes = /* @__PURE__*/ new Set([
    "string",
    "number",
    "bigint",
    "boolean",
    "symbol",
    "undefined",
]);
function escapeRegex(str) {
    return str.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
// zod-specific utils
function clone(inst, def, params) {
    const cl = new inst._zod.constr(def ?? inst._zod.def);
    if (!def || params?.parent)
        cl._zod.parent = inst;
    return cl;
}
function normalizeParams(_params) {
    const params = _params;
    if (!params)
        return {};
    if (typeof params === "string")
        return { error: () => params };
    if (params?.message !== undefined) {
        if (params?.error !== undefined)
            throw new Error("Cannot specify both `message` and `error` params");
        params.error = params.message;
    }
    delete params.message;
    if (typeof params.error === "string")
        return { ...params, error: () => params.error };
    return params;
}
function createTransparentProxy(getter) {
    let target;
    return new Proxy({}, {
        get(_, prop, receiver) {
            target ?? (target = getter());
            return Reflect.get(target, prop, receiver);
        },
        set(_, prop, value, receiver) {
            target ?? (target = getter());
            return Reflect.set(target, prop, value, receiver);
        },
        has(_, prop) {
            target ?? (target = getter());
            return Reflect.has(target, prop);
        },
        deleteProperty(_, prop) {
            target ?? (target = getter());
            return Reflect.deleteProperty(target, prop);
        },
        ownKeys(_) {
            target ?? (target = getter());
            return Reflect.ownKeys(target);
        },
        getOwnPropertyDescriptor(_, prop) {
            target ?? (target = getter());
            return Reflect.getOwnPropertyDescriptor(target, prop);
        },
        defineProperty(_, prop, descriptor) {
            target ?? (target = getter());
            return Reflect.defineProperty(target, prop, descriptor);
        },
    });
}
function stringifyPrimitive(value) {
    if (typeof value === "bigint")
        return value.toString() + "n";
    if (typeof value === "string")
        return `"${value}"`;
    return `${value}`;
}
function optionalKeys(shape) {
    return Object.keys(shape).filter((k) => {
        return shape[k]._zod.optin !== undefined && shape[k]._zod.optout === "optional";
    });
}
// Wrapped in a `@__PURE__` IIFE: esbuild never tree-shakes a top-level initializer that contains a member access on `Number`, so the bare object literal survived into every bundle.
const NUMBER_FORMAT_RANGES = /*@__PURE__*/ (/* unused pure expression or super */ null && ((() => ({
    safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    int32: [-2147483648, 2147483647],
    uint32: [0, 4294967295],
    float32: [-3.4028234663852886e38, 3.4028234663852886e38],
    float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
}))()));
const BIGINT_FORMAT_RANGES = {
    int64: [/* @__PURE__*/ BigInt("-9223372036854775808"), /* @__PURE__*/ BigInt("9223372036854775807")],
    uint64: [/* @__PURE__*/ BigInt(0), /* @__PURE__*/ BigInt("18446744073709551615")],
};
function pick(schema, mask) {
    const currDef = schema._zod.def;
    const checks = currDef.checks;
    const hasChecks = checks && checks.length > 0;
    if (hasChecks) {
        throw new Error(".pick() cannot be used on object schemas containing refinements");
    }
    const newShape = {};
    mirrorShape(newShape, schema, maskedKeys(schema, mask));
    return clone(schema, mergeDefs(currDef, { shape: newShape, checks: [] }));
}
// the mask keys that select something, checked against the source's shape without resolving it
function maskedKeys(schema, mask) {
    const raw = sourceShape(schema);
    const keys = [];
    // `for...in` skips symbols, so a symbol in the mask would select nothing
    for (const key of Reflect.ownKeys(mask)) {
        if (!Object.getOwnPropertyDescriptor(raw, key)?.enumerable) {
            throw new Error(`Unrecognized key: "${String(key)}"`);
        }
        if (mask[key])
            keys.push(key);
    }
    return keys;
}
function omit(schema, mask) {
    const currDef = schema._zod.def;
    const checks = currDef.checks;
    const hasChecks = checks && checks.length > 0;
    if (hasChecks) {
        throw new Error(".omit() cannot be used on object schemas containing refinements");
    }
    const omitted = new Set(maskedKeys(schema, mask));
    const newShape = {};
    mirrorShape(newShape, schema, Reflect.ownKeys(sourceShape(schema)).filter((key) => !omitted.has(key)));
    return clone(schema, mergeDefs(currDef, { shape: newShape, checks: [] }));
}
function extend(schema, shape) {
    if (!isPlainObject(shape)) {
        throw new Error("Invalid input to extend: expected a plain object");
    }
    const checks = schema._zod.def.checks;
    const hasChecks = checks && checks.length > 0;
    if (hasChecks) {
        // Only throw if new shape overlaps with existing shape. Use getOwnPropertyDescriptor to check key existence without accessing values
        const existingShape = sourceShape(schema);
        for (const key of Reflect.ownKeys(shape)) {
            if (Object.getOwnPropertyDescriptor(existingShape, key) !== undefined) {
                throw new Error("Cannot overwrite keys on object schemas containing refinements. Use `.safeExtend()` instead.");
            }
        }
    }
    return clone(schema, mergeDefs(schema._zod.def, { shape: extended(schema, shape) }));
}
// the source's keys, then the caller's overlaid on top
function extended(schema, shape) {
    const newShape = {};
    mirrorShape(newShape, schema, Reflect.ownKeys(sourceShape(schema)));
    mirrorProps(newShape, shape);
    return newShape;
}
function safeExtend(schema, shape) {
    if (!isPlainObject(shape)) {
        throw new Error("Invalid input to safeExtend: expected a plain object");
    }
    return clone(schema, mergeDefs(schema._zod.def, { shape: extended(schema, shape) }));
}
function merge(a, b) {
    if (!b?._zod?.def) {
        throw new Error("Invalid input to merge: expected an object schema. To merge a plain shape, use `.extend()`.");
    }
    if (a._zod.def.checks?.length) {
        throw new Error(".merge() cannot be used on object schemas containing refinements. Use .safeExtend() instead.");
    }
    const newShape = {};
    mirrorShape(newShape, a, Reflect.ownKeys(sourceShape(a)));
    mirrorShape(newShape, b, Reflect.ownKeys(sourceShape(b)));
    const def = mergeDefs(a._zod.def, {
        shape: newShape,
        get catchall() {
            return b._zod.def.catchall;
        },
        checks: b._zod.def.checks ?? [],
    });
    return clone(a, def);
}
function partial(Class, schema, mask, name = "partial") {
    const currDef = schema._zod.def;
    const checks = currDef.checks;
    const hasChecks = checks && checks.length > 0;
    if (hasChecks) {
        throw new Error(`.${name}() cannot be used on object schemas containing refinements`);
    }
    const selected = mask ? new Set(maskedKeys(schema, mask)) : undefined;
    const newShape = {};
    mirrorShape(newShape, schema, Reflect.ownKeys(sourceShape(schema)), Class &&
        ((value, key) => (selected && !selected.has(key) ? value : new Class({ type: "optional", innerType: value }))));
    return clone(schema, mergeDefs(schema._zod.def, { shape: newShape, checks: [] }));
}
function required(Class, schema, mask) {
    const selected = mask ? new Set(maskedKeys(schema, mask)) : undefined;
    const newShape = {};
    mirrorShape(newShape, schema, Reflect.ownKeys(sourceShape(schema)), (value, key) => 
    // overwrite with non-optional
    selected && !selected.has(key) ? value : new Class({ type: "nonoptional", innerType: value }));
    return clone(schema, mergeDefs(schema._zod.def, { shape: newShape }));
}
// invalid_type | too_big | too_small | invalid_format | not_multiple_of | unrecognized_keys | invalid_union | invalid_key | invalid_element | invalid_value | custom
function aborted(x, startIndex = 0) {
    if (x.aborted === true)
        return true;
    for (let i = startIndex; i < x.issues.length; i++) {
        if (x.issues[i]?.continue !== true) {
            return true;
        }
    }
    return false;
}
// Checks for explicit abort (continue === false), as opposed to implicit abort (continue === undefined). Used to respect `abort: true` in .refine() even for checks that have a `when` function.
function explicitlyAborted(x, startIndex = 0) {
    if (x.aborted === true)
        return true;
    for (let i = startIndex; i < x.issues.length; i++) {
        if (x.issues[i]?.continue === false) {
            return true;
        }
    }
    return false;
}
function prefixIssues(path, issues) {
    return issues.map((iss) => {
        var _a;
        (_a = iss).path ?? (_a.path = []);
        iss.path.unshift(path);
        return iss;
    });
}
function unwrapMessage(message) {
    return typeof message === "string" ? message : message?.message;
}
/* A check holds no link back to the schema it is attached to — the same check instance is shared by every clone of that schema — so the owner is stamped onto the issues a check just raised, at the only point where both are in scope. Runs on the failure path only; `start` is the issue count from before the check ran. */
/** The leading size checks of `defChecks` that set an upper bound, each paired with it. */
function sizeCaps(defChecks) {
    const caps = [];
    for (const ch of defChecks ?? []) {
        const d = ch._zod.def;
        // a later check may rewrite the value
        if (!/_(length|size)$|_equals$/.test(d.check))
            break;
        const max = d.maximum ?? d.length ?? d.size;
        if (max >= 0)
            caps.push([max, ch]);
    }
    return caps;
}
function attachSchema(issues, start, inst) {
    var _a;
    for (let i = start; i < issues.length; i++) {
        (_a = issues[i]).schema ?? (_a.schema = inst);
    }
}
function finalizeIssue(iss, ctx, config) {
    var _a;
    // A schema that raised an issue itself owns it outright, and outranks any stamp an enclosing check left in `attachSchema`. String formats and z.custom() are schema and check at once, so when they act as a check they defer to that stamp instead.
    const traits = iss.inst?._zod?.traits;
    if (traits?.has("$ZodType")) {
        if (traits.has("$ZodCheck"))
            (_a = iss).schema ?? (_a.schema = iss.inst);
        else
            iss.schema = iss.inst;
    }
    // Decreasing specificity, first map to return a message wins. `inst` is whatever raised the issue, so a check's own map outranks the owning schema's.
    const schemaError = iss.schema !== iss.inst ? iss.schema?._zod.def?.error : undefined;
    const message = iss.message
        ? iss.message
        : (unwrapMessage(iss.inst?._zod.def?.error?.(iss)) ??
            unwrapMessage(schemaError?.(iss)) ??
            unwrapMessage(ctx?.error?.(iss)) ??
            unwrapMessage(config.customError?.(iss)) ??
            unwrapMessage(config.localeError?.(iss)) ??
            "Invalid input");
    // an explicit own-key copy beats object rest with excluded keys, which v8 routes through a generic runtime call; Object.keys rather than for-in so an issue pushed with a prototype does not leak inherited keys, and an own __proto__ key is dropped rather than assigned through the setter
    const full = {};
    for (const k of Object.keys(iss)) {
        if (k === "inst" || k === "schema" || k === "continue" || k === "input" || k === "__proto__")
            continue;
        full[k] = iss[k];
    }
    full.path ?? (full.path = []);
    full.message = message;
    if (ctx?.reportInput) {
        full.input = iss.input;
    }
    return full;
}
function getSizableOrigin(input) {
    if (input instanceof Set)
        return "set";
    if (input instanceof Map)
        return "map";
    // @ts-ignore
    if (input instanceof File)
        return "file";
    return "unknown";
}
const highSurrogate = /[\uD800-\uDBFF]/;
// Code points in `str`: a surrogate pair counts once, a lone surrogate as itself. Hand-rolled because the string iterator allocates and runs ~250x slower on this path; the regex probe exits ~50x quicker for a string with no astral characters.
function codePointLength(str) {
    const units = str.length;
    if (!highSurrogate.test(str))
        return units;
    let count = units;
    for (let i = 0; i < units - 1; i++) {
        if ((str.charCodeAt(i) & 0xfc00) === 0xd800 && (str.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
            count--;
            i++;
        }
    }
    return count;
}
function getLengthableOrigin(input) {
    if (Array.isArray(input))
        return "array";
    if (typeof input === "string")
        return "string";
    return "unknown";
}
function parsedType(data) {
    const t = typeof data;
    switch (t) {
        case "number": {
            return Number.isNaN(data) ? "nan" : "number";
        }
        case "object": {
            if (data === null) {
                return "null";
            }
            if (Array.isArray(data)) {
                return "array";
            }
            const obj = data;
            if (obj && Object.getPrototypeOf(obj) !== Object.prototype && "constructor" in obj && obj.constructor) {
                return obj.constructor.name;
            }
        }
    }
    return t;
}
function issue(...args) {
    const [iss, input, inst] = args;
    if (typeof iss === "string") {
        return {
            message: iss,
            code: "custom",
            input,
            inst,
        };
    }
    return { ...iss };
}
function cleanEnum(obj) {
    return Object.entries(obj)
        .filter(([k, _]) => {
        // return true if NaN, meaning it's not a number, thus a string key
        return Number.isNaN(Number.parseInt(k, 10));
    })
        .map((el) => el[1]);
}
// Codec utility functions
function base64ToUint8Array(base64) {
    const binaryString = atob(base64);
    const bytes = new Uint8Array(binaryString.length);
    for (let i = 0; i < binaryString.length; i++) {
        bytes[i] = binaryString.charCodeAt(i);
    }
    return bytes;
}
function uint8ArrayToBase64(bytes) {
    let binaryString = "";
    for (let i = 0; i < bytes.length; i++) {
        binaryString += String.fromCharCode(bytes[i]);
    }
    return btoa(binaryString);
}
function base64urlToUint8Array(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const padding = "=".repeat((4 - (base64.length % 4)) % 4);
    return base64ToUint8Array(base64 + padding);
}
function uint8ArrayToBase64url(bytes) {
    return uint8ArrayToBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=/g, "");
}
function hexToUint8Array(hex) {
    const cleanHex = hex.replace(/^0x/, "");
    if (cleanHex.length % 2 !== 0) {
        throw new Error("Invalid hex string length");
    }
    const bytes = new Uint8Array(cleanHex.length / 2);
    for (let i = 0; i < cleanHex.length; i += 2) {
        bytes[i / 2] = Number.parseInt(cleanHex.slice(i, i + 2), 16);
    }
    return bytes;
}
function uint8ArrayToHex(bytes) {
    return Array.from(bytes)
        .map((b) => b.toString(16).padStart(2, "0"))
        .join("");
}
// instanceof
class Class {
    constructor(..._args) { }
}
//////////    PROTOTYPE INSTALLERS     //////////
//
// Members live on the prototype and materialize per instance on first read, which keeps own-property count under the step where V8 stops using inline slots. Changing anything here means re-measuring runtime, memory and bundle size together — see "The three axes" in AGENTS.md.
/**
 * Installs a trait's members on its prototype. Each value builds that member for the instance on first read; the built value shadows the accessor as an own property, so a detached `const { parse } = schema` keeps working.
 *
 * Call this from a `proto` initializer, which runs once per prototype — never per instance.
 */
function members(proto, table) {
    for (const key in table) {
        const desc = Object.getOwnPropertyDescriptor(table, key);
        // a getter installs as written, so it stays live: `description` reads through to the registry on every access. not enumerable: an object literal's is, and a prototype member never was
        if (desc.get)
            Object.defineProperty(proto, key, { ...desc, enumerable: false });
        // a method materializes bound on first read, which is what keeps a detached member working: `const opt = schema.optional; opt()`
        else
            defineBound(proto, key, desc.value);
    }
}
/** Shadows a prototype member with an own value, so a getter that builds from the instance runs once. */
function own(inst, key, value, enumerable = true) {
    Object.defineProperty(inst, key, { configurable: true, writable: true, enumerable, value });
    return value;
}
/** Like {@link own}, for a member that was never an own data property and has to stay out of `Object.keys`. */
function hide(inst, key, value) {
    return own(inst, key, value, false);
}
/** Adds members a table derives from the instance: each builds on first read and shadows as own data, and assignment shadows the same way, as when these were own properties. */
function derived(computes, table) {
    for (const key in computes) {
        const compute = computes[key];
        // an object literal's accessor is configurable and enumerable, and `members` copies the descriptor as written
        Object.defineProperty(table, key, {
            configurable: true,
            enumerable: true,
            get() {
                return own(this, key, compute(this));
            },
            set(value) {
                own(this, key, value);
            },
        });
    }
    return table;
}
function defineBound(proto, key, fn) {
    Object.defineProperty(proto, key, {
        configurable: true,
        get() {
            // vitest's spyOn calls a prototype getter bare to find the function it wraps, so a nullish receiver answers the raw method
            return this == null ? fn : own(this, key, fn.bind(this));
        },
        set(value) {
            own(this, key, value);
        },
    });
}
/** Returns the prototype to install on, or `undefined` if this group is already installed on it. */
function claim(inst, sentinel) {
    const proto = Object.getPrototypeOf(inst);
    // Runs on every construction, so `in` rather than the costlier `hasOwnProperty.call`. Sentinels are keys the group itself defines.
    return sentinel in proto ? undefined : proto;
}
// The internals whose init chain is installing. A second call for the same one is a derived constructor overriding its base, so it must not construct another schema in between or the override is dropped.
let installing;
// Set while a getter is running, so a value that resolved through a recursion break is not memoized. One shared descriptor shadows the key for the duration, which costs no per-key allocation.
let broke = false;
const breaker = {
    configurable: true,
    get() {
        broke = true;
        return undefined;
    },
};
/**
 * Installs a lazily-derived internal on the `_zod` prototype of `inst`'s
 * constructor, computed from the internals object itself and cached there on
 * first read. One accessor per constructor rather than one per instance.
 */
function defineLazyInternal(inst, key, compute) {
    const proto = Object.getPrototypeOf(inst._zod);
    if (key in proto && installing !== inst._zod) {
        // A repeat construction: everything is installed already. Cleared here so the reference is not held past the first construction of every type.
        installing = undefined;
        return;
    }
    installing = inst._zod;
    Object.defineProperty(proto, key, {
        configurable: true,
        get() {
            // Shadowed before computing so a re-entrant read from a recursive schema resolves to undefined instead of running the getter again.
            Object.defineProperty(this, key, breaker);
            const outer = broke;
            broke = false;
            try {
                const value = compute(this);
                // A result that resolved through a recursion break is recomputed once the graph is complete; everything else memoizes, undefined included.
                if (broke)
                    delete this[key];
                else
                    Object.defineProperty(this, key, { configurable: true, writable: true, value });
                broke = broke || outer;
                return value;
            }
            catch (err) {
                // A compute that threw memoizes nothing, so a later read runs it again and fails the same way. The shadow goes with it, since leaving it installed would answer undefined for every later read.
                delete this[key];
                broke = broke || outer;
                throw err;
            }
        },
        set(value) {
            Object.defineProperty(this, key, { configurable: true, writable: true, value });
        },
    });
}
/**
 * Installs `key` on `inst`'s prototype, computed by `make` on first read and cached there as an own
 * data property. One accessor per constructor rather than one per instance, because an own accessor
 * puts every instance after the first into v8 dictionary mode. The key doubles as the sentinel.
 */
function installLazyProp(inst, key, make, enumerable) {
    const proto = claim(inst, key);
    if (!proto)
        return;
    Object.defineProperty(proto, key, {
        configurable: true,
        get() {
            // Shadowed before computing, so a re-entrant read from a self-referential shape resolves to undefined instead of running the getter again. A data property rather than an accessor: an own accessor is the dictionary-mode transition this exists to avoid.
            const desc = { configurable: true, writable: true, enumerable, value: undefined };
            Object.defineProperty(this, key, desc);
            // a compute that throws leaves the shadow behind, so later reads answer undefined instead of re-throwing; `defineLazy` did the same, and `defineLazyInternal`'s delete-on-catch would cost bytes in every bundle for a case only a throwing user getter reaches
            desc.value = make(this);
            Object.defineProperty(this, key, desc);
            return desc.value;
        },
        set(value) {
            Object.defineProperty(this, key, { configurable: true, writable: true, enumerable, value });
        },
    });
}
/** Marks the thunk `_catch` synthesises for a constant catch value. `Function.length` cannot tell that thunk from a user callback — rest and defaulted parameters both report arity 0 — and a user callback reads `ctx.error`, whose issues only finalize correctly against the caller's per-parse error map. Provenance can say what arity cannot. A plain string key rather than `Symbol.for`, whose call at module scope no bundler can prove pure — the same shape that anchored `urlCanParse` into every build. */
const CONSTANT_CATCH = "~constantCatch";
/** Wraps a constant catch value in a thunk tagged with {@link CONSTANT_CATCH}. */
function constantCatch(value) {
    const fn = () => value;
    fn[CONSTANT_CATCH] = true;
    return fn;
}

;// CONCATENATED MODULE: ./node_modules/zod/v4/core/core.js
var _a;

/** A special constant with type `never` */
const NEVER = /*@__PURE__*/ Object.freeze({
    status: "aborted",
});
/* Shared descriptor for installing `_zod`; defineProperty reads it
 * synchronously, so reusing one object avoids a per-instance allocation. */
const _zodDesc = { value: undefined, enumerable: false };
// null where suppressing the capture would be unrecoverable: `parse()` puts the frames back with `captureStackTrace`, so without it the throw would lose its stack. also latched to null once `stackTraceLimit` proves unassignable, which a realm can do at any point by hardening Error
let _E = "captureStackTrace" in Error ? Error : null;
// v8 captures a stack trace inside the Error constructor, which dominates a failed parse; costs only the frames, and parse() restores those. the constructor must RUN: Object.create is cheaper and passes instanceof, but Error.isError and util.types.isNativeError check an internal slot
function newError(Definition) {
    const E = _E;
    if (E) {
        const saved = E.stackTraceLimit;
        if (typeof saved === "number") {
            try {
                E.stackTraceLimit = 0;
            }
            catch {
                _E = null;
                return new Definition();
            }
            try {
                return new Definition();
            }
            finally {
                E.stackTraceLimit = saved;
            }
        }
    }
    return new Definition();
}
function $constructor(name, initializer, 
/** This trait's members, installed once on every prototype that composes it. They cannot be declared in the initializer above: that runs per instance, and the prototype is shared. */
proto, params) {
    // Prototype for this constructor's `_zod` internals. Lazily-derived fields (`values`, `pattern`, `optin`, …) install here once rather than as an accessor on every instance.
    const zodProto = {};
    // Assigning the fields in the constructor body is what gives instances in-object slots; building the object literally and reparenting it costs a second allocation and a generic property copy.
    function Internals(def) {
        this.def = def;
        this.constr = _;
        this.traits = new Set();
    }
    Internals.prototype = zodProto;
    const protoMembers = proto;
    // One trait's members land on every prototype whose chain composes it, so the answer is per prototype rather than per trait.
    const initialized = protoMembers && new WeakSet();
    function init(inst, def) {
        if (!inst._zod) {
            _zodDesc.value = new Internals(def);
            try {
                Object.defineProperty(inst, "_zod", _zodDesc);
            }
            finally {
                // Cleared even on throw, so the shared descriptor never leaks one instance's internals into the next.
                _zodDesc.value = undefined;
            }
        }
        else if (inst._zod.traits.has(name)) {
            return;
        }
        inst._zod.traits.add(name);
        initializer(inst, def);
        if (initialized) {
            // `super(def)` from a user subclass gives `this` a prototype the subclass owns, and installing there would overwrite whatever the subclass declared. `constr` built the instance, so its prototype is the one below the subclass's that should carry the members. A receiver whose chain never reaches that prototype installs on its own, which for a plain object handed straight to `init` means `Object.prototype` — unchanged from before.
            const own = Object.getPrototypeOf(inst);
            const ctorProto = inst._zod.constr.prototype;
            let up = own;
            while (up && up !== ctorProto)
                up = Object.getPrototypeOf(up);
            const target = up ?? own;
            if (!initialized.has(target)) {
                initialized.add(target);
                members(target, protoMembers);
            }
        }
        // support prototype modifications; for-in avoids the array allocation of Object.keys on the (usually empty) prototype
        const proto = _.prototype;
        for (const k in proto) {
            if (!Object.prototype.hasOwnProperty.call(proto, k))
                continue;
            if (!(k in inst)) {
                inst[k] = proto[k].bind(inst);
            }
        }
    }
    // doesn't work if Parent has a constructor with arguments
    const Parent = params?.Parent ?? Object;
    class Definition extends Parent {
    }
    Object.defineProperty(Definition, "name", { value: name });
    function _(def) {
        const inst = params?.Parent ? newError(Definition) : this;
        init(inst, def);
        const deferred = inst._zod.deferred;
        if (deferred) {
            for (const fn of deferred) {
                fn();
            }
            // Released: initializers run once, and the list would otherwise be retained for the schema's lifetime.
            inst._zod.deferred = undefined;
        }
        // Global post-processor hook. Internal: installed by `import "zod/compile"` to enable AOT compilation for every constructed schema. Runs last, once the instance is fully built, because it hands the instance to compile(). The post-processor is expected to be reentrancy-guarded by its own implementation.
        const pp = globalThis.__zod_globalConfig?.postProcessor;
        if (pp)
            pp(inst);
        return inst;
    }
    Object.defineProperty(_, "init", { value: init });
    Object.defineProperty(_, Symbol.hasInstance, {
        value: (inst) => {
            if (params?.Parent && inst instanceof params.Parent)
                return true;
            return inst?._zod?.traits?.has(name);
        },
    });
    Object.defineProperty(_, "name", { value: name });
    return _;
}
//////////////////////////////   UTILITIES   ///////////////////////////////////////
const $brand = /*@__PURE__*/ (/* unused pure expression or super */ null && (Symbol("zod_brand")));
class $ZodAsyncError extends Error {
    constructor() {
        super(`Encountered Promise during synchronous parse. Use .parseAsync() instead.`);
    }
}
class $ZodEncodeError extends Error {
    constructor(name) {
        super(`Encountered unidirectional transform during encode: ${name}`);
        this.name = "ZodEncodeError";
    }
}
(_a = globalThis).__zod_globalConfig ?? (_a.__zod_globalConfig = {});
const core_globalConfig = globalThis.__zod_globalConfig;
function config(newConfig) {
    if (newConfig)
        Object.assign(core_globalConfig, newConfig);
    return core_globalConfig;
}

;// CONCATENATED MODULE: ./node_modules/zod/v4/core/checks.js
// import { $ZodType } from "./schemas.js";



const $ZodCheck = /*@__PURE__*/ $constructor("$ZodCheck", (inst, def) => {
    var _a;
    inst._zod ?? (inst._zod = {});
    inst._zod.def = def;
    (_a = inst._zod).onattach ?? (_a.onattach = []);
});
/** Default `when` for size-based checks: run only on non-nullish values with a `size`. */
const _whenHasSize = (payload) => {
    const val = payload.value;
    return !util.nullish(val) && val.size !== undefined;
};
/** Default `when` for length-based checks: run only on non-nullish values with a `length`. */
const _whenHasLength = (payload) => {
    const val = payload.value;
    return !util.nullish(val) && val.length !== undefined;
};
const numericOriginMap = {
    number: "number",
    bigint: "bigint",
    object: "date",
};
const $ZodCheckLessThan = /*@__PURE__*/ $constructor("$ZodCheckLessThan", (inst, def) => {
    $ZodCheck.init(inst, def);
    const origin = numericOriginMap[typeof def.value];
    inst._zod.check = (payload) => {
        if (def.inclusive ? payload.value <= def.value : payload.value < def.value) {
            return;
        }
        payload.issues.push({
            origin: numericOriginMap[typeof payload.value] ?? origin,
            code: "too_big",
            maximum: typeof def.value === "object" ? def.value.getTime() : def.value,
            input: payload.value,
            inclusive: def.inclusive,
            inst,
            continue: !def.abort,
        });
    };
});
const $ZodCheckGreaterThan = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckGreaterThan", (inst, def) => {
    $ZodCheck.init(inst, def);
    const origin = numericOriginMap[typeof def.value];
    inst._zod.check = (payload) => {
        if (def.inclusive ? payload.value >= def.value : payload.value > def.value) {
            return;
        }
        payload.issues.push({
            origin: numericOriginMap[typeof payload.value] ?? origin,
            code: "too_small",
            minimum: typeof def.value === "object" ? def.value.getTime() : def.value,
            input: payload.value,
            inclusive: def.inclusive,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodCheckMultipleOf = 
/*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckMultipleOf", (inst, def) => {
    $ZodCheck.init(inst, def);
    inst._zod.check = (payload) => {
        if (typeof payload.value !== typeof def.value)
            throw new Error("Cannot mix number and bigint in multiple_of check.");
        const isMultiple = typeof payload.value === "bigint"
            ? // `value % 0n` throws, and nothing is a multiple of zero — the number branch already fails this way via NaN
                def.value !== BigInt(0) && payload.value % def.value === BigInt(0)
            : util.floatSafeRemainder(payload.value, def.value) === 0;
        if (isMultiple)
            return;
        payload.issues.push({
            origin: typeof payload.value,
            code: "not_multiple_of",
            divisor: def.value,
            input: payload.value,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodCheckNumberFormat = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckNumberFormat", (inst, def) => {
    $ZodCheck.init(inst, def); // no format checks
    def.format = def.format || "float64";
    const isInt = def.format?.includes("int");
    const origin = isInt ? "int" : "number";
    const [minimum, maximum] = util.NUMBER_FORMAT_RANGES[def.format];
    inst._zod.check = (payload) => {
        const input = payload.value;
        if (isInt) {
            if (!Number.isInteger(input)) {
                // invalid_format issue
                // payload.issues.push({
                //   expected: def.format,
                //   format: def.format,
                //   code: "invalid_format",
                //   input,
                //   inst,
                // });
                // invalid_type issue
                payload.issues.push({
                    expected: origin,
                    format: def.format,
                    code: "invalid_type",
                    continue: false,
                    input,
                    inst,
                });
                return;
                // not_multiple_of issue
                // payload.issues.push({
                //   code: "not_multiple_of",
                //   origin: "number",
                //   input,
                //   inst,
                //   divisor: 1,
                // });
            }
            if (!Number.isSafeInteger(input)) {
                if (input > 0) {
                    // too_big
                    payload.issues.push({
                        input,
                        code: "too_big",
                        maximum: Number.MAX_SAFE_INTEGER,
                        note: "Integers must be within the safe integer range.",
                        inst,
                        origin,
                        inclusive: true,
                        continue: !def.abort,
                    });
                }
                else {
                    // too_small
                    payload.issues.push({
                        input,
                        code: "too_small",
                        minimum: Number.MIN_SAFE_INTEGER,
                        note: "Integers must be within the safe integer range.",
                        inst,
                        origin,
                        inclusive: true,
                        continue: !def.abort,
                    });
                }
                return;
            }
        }
        if (input < minimum) {
            payload.issues.push({
                origin: "number",
                input,
                code: "too_small",
                minimum,
                inclusive: true,
                inst,
                continue: !def.abort,
            });
        }
        if (input > maximum) {
            payload.issues.push({
                origin: "number",
                input,
                code: "too_big",
                maximum,
                inclusive: true,
                inst,
                continue: !def.abort,
            });
        }
    };
})));
const $ZodCheckBigIntFormat = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckBigIntFormat", (inst, def) => {
    $ZodCheck.init(inst, def); // no format checks
    const [minimum, maximum] = util.BIGINT_FORMAT_RANGES[def.format];
    inst._zod.check = (payload) => {
        const input = payload.value;
        if (input < minimum) {
            payload.issues.push({
                origin: "bigint",
                input,
                code: "too_small",
                minimum: minimum,
                inclusive: true,
                inst,
                continue: !def.abort,
            });
        }
        if (input > maximum) {
            payload.issues.push({
                origin: "bigint",
                input,
                code: "too_big",
                maximum,
                inclusive: true,
                inst,
                continue: !def.abort,
            });
        }
    };
})));
const $ZodCheckMaxSize = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckMaxSize", (inst, def) => {
    var _a;
    $ZodCheck.init(inst, def);
    (_a = inst._zod.def).when ?? (_a.when = _whenHasSize);
    inst._zod.check = (payload) => {
        const input = payload.value;
        const size = input.size;
        if (size <= def.maximum)
            return;
        payload.issues.push({
            origin: util.getSizableOrigin(input),
            code: "too_big",
            maximum: def.maximum,
            inclusive: true,
            input,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodCheckMinSize = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckMinSize", (inst, def) => {
    var _a;
    $ZodCheck.init(inst, def);
    (_a = inst._zod.def).when ?? (_a.when = _whenHasSize);
    inst._zod.check = (payload) => {
        const input = payload.value;
        const size = input.size;
        if (size >= def.minimum)
            return;
        payload.issues.push({
            origin: util.getSizableOrigin(input),
            code: "too_small",
            minimum: def.minimum,
            inclusive: true,
            input,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodCheckSizeEquals = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckSizeEquals", (inst, def) => {
    var _a;
    $ZodCheck.init(inst, def);
    (_a = inst._zod.def).when ?? (_a.when = _whenHasSize);
    inst._zod.check = (payload) => {
        const input = payload.value;
        const size = input.size;
        if (size === def.size)
            return;
        const tooBig = size > def.size;
        payload.issues.push({
            origin: util.getSizableOrigin(input),
            ...(tooBig ? { code: "too_big", maximum: def.size } : { code: "too_small", minimum: def.size }),
            inclusive: true,
            exact: true,
            input: payload.value,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodCheckMaxLength = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckMaxLength", (inst, def) => {
    var _a;
    $ZodCheck.init(inst, def);
    (_a = inst._zod.def).when ?? (_a.when = _whenHasLength);
    inst._zod.check = (payload) => {
        const input = payload.value;
        const units = input.length;
        // Strings are measured in Unicode code points, not UTF-16 units. A code point is at most two units, so a string that already fits in units fits in code points; only an overflow has to be counted.
        const length = typeof input === "string" && units > def.maximum ? util.codePointLength(input) : units;
        if (length <= def.maximum)
            return;
        const origin = util.getLengthableOrigin(input);
        payload.issues.push({
            origin,
            code: "too_big",
            maximum: def.maximum,
            inclusive: true,
            input,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodCheckMinLength = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckMinLength", (inst, def) => {
    var _a;
    $ZodCheck.init(inst, def);
    (_a = inst._zod.def).when ?? (_a.when = _whenHasLength);
    inst._zod.check = (payload) => {
        const input = payload.value;
        const units = input.length;
        // A code point is one or two UTF-16 units, so fewer units than the floor can never reach it and twice the floor always clears it. Only in between is the exact count in doubt.
        const length = typeof input === "string" && units >= def.minimum && units < def.minimum * 2
            ? util.codePointLength(input)
            : units;
        if (length >= def.minimum)
            return;
        const origin = util.getLengthableOrigin(input);
        payload.issues.push({
            origin,
            code: "too_small",
            minimum: def.minimum,
            inclusive: true,
            input,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodCheckLengthEquals = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckLengthEquals", (inst, def) => {
    var _a;
    $ZodCheck.init(inst, def);
    (_a = inst._zod.def).when ?? (_a.when = _whenHasLength);
    inst._zod.check = (payload) => {
        const input = payload.value;
        const units = input.length;
        // A code point is one or two UTF-16 units, so outside `[length, length * 2]` units the target is missed either way — and missed in the same direction in both measures.
        const length = typeof input === "string" && units >= def.length && units <= def.length * 2
            ? util.codePointLength(input)
            : units;
        if (length === def.length)
            return;
        const origin = util.getLengthableOrigin(input);
        const tooBig = length > def.length;
        payload.issues.push({
            origin,
            ...(tooBig ? { code: "too_big", maximum: def.length } : { code: "too_small", minimum: def.length }),
            inclusive: true,
            exact: true,
            input: payload.value,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodCheckStringFormat = /*@__PURE__*/ $constructor("$ZodCheckStringFormat", (inst, def) => {
    var _a, _b;
    $ZodCheck.init(inst, def);
    if (def.pattern)
        (_a = inst._zod).check ?? (_a.check = (payload) => {
            def.pattern.lastIndex = 0;
            if (def.pattern.test(payload.value))
                return;
            payload.issues.push({
                origin: "string",
                code: "invalid_format",
                format: def.format,
                input: payload.value,
                ...(def.pattern ? { pattern: def.pattern.toString() } : {}),
                inst,
                continue: !def.abort,
            });
        });
    else
        (_b = inst._zod).check ?? (_b.check = () => { });
});
const $ZodCheckRegex = /*@__PURE__*/ $constructor("$ZodCheckRegex", (inst, def) => {
    $ZodCheckStringFormat.init(inst, def);
    inst._zod.check = (payload) => {
        def.pattern.lastIndex = 0;
        if (def.pattern.test(payload.value))
            return;
        payload.issues.push({
            origin: "string",
            code: "invalid_format",
            format: "regex",
            input: payload.value,
            pattern: def.pattern.toString(),
            inst,
            continue: !def.abort,
        });
    };
});
const $ZodCheckLowerCase = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckLowerCase", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.lowercase);
    $ZodCheckStringFormat.init(inst, def);
})));
const $ZodCheckUpperCase = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckUpperCase", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.uppercase);
    $ZodCheckStringFormat.init(inst, def);
})));
const $ZodCheckIncludes = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckIncludes", (inst, def) => {
    $ZodCheck.init(inst, def);
    const escapedRegex = util.escapeRegex(def.includes);
    // `String.prototype.includes(sub, position)` matches `sub` at `position`
    // OR LATER, so the pattern must allow at least `position` leading chars
    // (`{N,}`), not exactly `position` chars (`{N}`).
    const pattern = new RegExp(typeof def.position === "number" ? `^.{${def.position},}${escapedRegex}` : escapedRegex);
    def.pattern = pattern;
    inst._zod.check = (payload) => {
        if (payload.value.includes(def.includes, def.position))
            return;
        payload.issues.push({
            origin: "string",
            code: "invalid_format",
            format: "includes",
            includes: def.includes,
            input: payload.value,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodCheckStartsWith = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckStartsWith", (inst, def) => {
    $ZodCheck.init(inst, def);
    const pattern = new RegExp(`^${util.escapeRegex(def.prefix)}.*`);
    def.pattern ?? (def.pattern = pattern);
    inst._zod.check = (payload) => {
        if (payload.value.startsWith(def.prefix))
            return;
        payload.issues.push({
            origin: "string",
            code: "invalid_format",
            format: "starts_with",
            prefix: def.prefix,
            input: payload.value,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodCheckEndsWith = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckEndsWith", (inst, def) => {
    $ZodCheck.init(inst, def);
    const pattern = new RegExp(`.*${util.escapeRegex(def.suffix)}$`);
    def.pattern ?? (def.pattern = pattern);
    inst._zod.check = (payload) => {
        if (payload.value.endsWith(def.suffix))
            return;
        payload.issues.push({
            origin: "string",
            code: "invalid_format",
            format: "ends_with",
            suffix: def.suffix,
            input: payload.value,
            inst,
            continue: !def.abort,
        });
    };
})));
///////////////////////////////////
/////    $ZodCheckProperty    /////
///////////////////////////////////
function handleCheckPropertyResult(result, payload, property) {
    if (result.issues.length) {
        payload.issues.push(...util.prefixIssues(property, result.issues));
    }
}
const $ZodCheckProperty = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckProperty", (inst, def) => {
    $ZodCheck.init(inst, def);
    inst._zod.check = (payload) => {
        const result = def.schema._zod.run({
            value: payload.value[def.property],
            issues: [],
        }, {});
        if (result instanceof Promise) {
            return result.then((result) => handleCheckPropertyResult(result, payload, def.property));
        }
        handleCheckPropertyResult(result, payload, def.property);
        return;
    };
})));
const $ZodCheckProperties = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckProperties", (inst, def) => {
    $ZodCheck.init(inst, def);
    util.hide(inst, Symbol.iterator, function* () {
        yield inst;
    });
    // key and schema snapshotted together: reading one live and the other cached lets a later mutation of the caller's shape object pair a stale key with a missing schema
    let entries;
    inst._zod.check = (payload) => {
        // the base schema already typed the value, so only a nullish one is rejected here: the properties read on a primitive too, matching z.property() on a string's length
        if (payload.value == null) {
            payload.issues.push({ expected: "object", code: "invalid_type", input: payload.value, inst });
            return undefined;
        }
        entries ?? (entries = Reflect.ownKeys(def.shape).map((key) => [key, def.shape[key]]));
        const input = payload.value;
        let proms;
        for (const [key, schema] of entries) {
            const result = schema._zod.run({ value: input[key], issues: [] }, {});
            if (result instanceof Promise) {
                proms ?? (proms = []);
                proms.push(result.then((result) => handleCheckPropertyResult(result, payload, key)));
            }
            else {
                handleCheckPropertyResult(result, payload, key);
            }
        }
        if (proms)
            return Promise.all(proms).then(() => undefined);
        return undefined;
    };
})));
const $ZodCheckMimeType = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCheckMimeType", (inst, def) => {
    $ZodCheck.init(inst, def);
    const mimeSet = new Set(def.mime);
    inst._zod.check = (payload) => {
        if (mimeSet.has(payload.value.type))
            return;
        payload.issues.push({
            code: "invalid_value",
            values: def.mime,
            input: payload.value.type,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodCheckOverwrite = /*@__PURE__*/ $constructor("$ZodCheckOverwrite", (inst, def) => {
    $ZodCheck.init(inst, def);
    inst._zod.check = (payload) => {
        payload.value = def.tx(payload.value);
    };
});

;// CONCATENATED MODULE: ./node_modules/zod/v4/core/regexes.js

/**
 * @deprecated CUID v1 is deprecated by its authors due to information leakage
 * (timestamps embedded in the id). Use {@link cuid2} instead.
 * See https://github.com/paralleldrive/cuid.
 */
const cuid = /^[cC][0-9a-z]{6,}$/;
const cuid2 = /^[0-9a-z]+$/;
const ulid = /^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$/;
const xid = /^[0-9a-vA-V]{20}$/;
const ksuid = /^[A-Za-z0-9]{27}$/;
const nanoid = /^[a-zA-Z0-9_-]{21}$/;
function nanoidOfLength(length) {
    return new RegExp(`^[a-zA-Z0-9_-]{${length}}$`);
}
/** ISO 8601-1 duration regex. Does not support the 8601-2 extensions like negative durations or fractional/negative components. */
const duration = /^P(?:(\d+W)|(?!.*W)(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?)$/;
/** Implements ISO 8601-2 extensions like explicit +- prefixes, mixing weeks with other units, and fractional/negative components. */
const extendedDuration = /^[-+]?P(?!$)(?:(?:[-+]?\d+Y)|(?:[-+]?\d+[.,]\d+Y$))?(?:(?:[-+]?\d+M)|(?:[-+]?\d+[.,]\d+M$))?(?:(?:[-+]?\d+W)|(?:[-+]?\d+[.,]\d+W$))?(?:(?:[-+]?\d+D)|(?:[-+]?\d+[.,]\d+D$))?(?:T(?=[\d+-])(?:(?:[-+]?\d+H)|(?:[-+]?\d+[.,]\d+H$))?(?:(?:[-+]?\d+M)|(?:[-+]?\d+[.,]\d+M$))?(?:[-+]?\d+(?:[.,]\d+)?S)?)??$/;
/** A regex for any UUID-like identifier: 8-4-4-4-12 hex pattern */
const guid = /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;
/** Returns a regex for validating an RFC 9562/4122 UUID.
 *
 * @param version Optionally specify a version 1-8. If no version is specified, all versions are supported. */
const uuid = (version) => {
    if (!version)
        return /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$/;
    return new RegExp(`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-${version}[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$`);
};
const uuid4 = /*@__PURE__*/ (/* unused pure expression or super */ null && (uuid(4)));
const uuid6 = /*@__PURE__*/ (/* unused pure expression or super */ null && (uuid(6)));
const uuid7 = /*@__PURE__*/ (/* unused pure expression or super */ null && (uuid(7)));
/** Practical email validation */
const email = /^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$/;
/** Equivalent to the HTML5 input[type=email] validation implemented by browsers. Source: https://developer.mozilla.org/en-US/docs/Web/HTML/Element/input/email */
const html5Email = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
/** The classic emailregex.com regex for RFC 5322-compliant emails */
const rfc5322Email = /^(([^<>()\[\]\\.,;:\s@"]+(\.[^<>()\[\]\\.,;:\s@"]+)*)|(".+"))@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}])|(([a-zA-Z\-0-9]+\.)+[a-zA-Z]{2,}))$/;
/** A loose regex that allows Unicode characters, enforces length limits, and that's about it. */
const unicodeEmail = /^[^\s@"]{1,64}@[^\s@]{1,255}$/u;
const idnEmail = (/* unused pure expression or super */ null && (unicodeEmail));
const browserEmail = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
// from https://thekevinscott.com/emojis-in-javascript/#writing-a-regular-expression
// Single character class, not an alternation: the two properties overlap (U+1F9B0-U+1F9B3), so `(A|B)+` backtracks exponentially on a failed match. The leading lookahead then demands one anchor — a pictograph, a regional indicator, or the enclosing keycap — because `\p{Emoji_Component}` on its own covers ASCII digits, `#`, `*`, ZWJ, variation selectors and skin tone modifiers, none of which is an emoji without a base.
const _emoji = (/* unused pure expression or super */ null && (`^(?=[\\s\\S]*[\\p{Extended_Pictographic}\\p{Regional_Indicator}\\u20E3])[\\p{Extended_Pictographic}\\p{Emoji_Component}]+$`));
function emoji() {
    return new RegExp(_emoji, "u");
}
const ipv4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$/;
const ipv6 = /^(([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]{1,4}){1,6})|:((:[0-9a-fA-F]{1,4}){1,7}|:))$/;
const mac = (delimiter) => {
    const escapedDelim = util.escapeRegex(delimiter ?? ":");
    return new RegExp(`^(?:[0-9A-F]{2}${escapedDelim}){5}[0-9A-F]{2}$|^(?:[0-9a-f]{2}${escapedDelim}){5}[0-9a-f]{2}$`);
};
const cidrv4 = /^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\/([0-9]|[1-2][0-9]|3[0-2])$/;
const cidrv6 = /^(([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]{1,4}){1,6})|:((:[0-9a-fA-F]{1,4}){1,7}|:))\/(12[0-8]|1[01][0-9]|[1-9]?[0-9])$/;
// https://stackoverflow.com/questions/7860392/determine-if-string-is-in-base64-using-javascript
const base64 = /^$|^(?:[0-9a-zA-Z+/]{4})*(?:(?:[0-9a-zA-Z+/]{2}==)|(?:[0-9a-zA-Z+/]{3}=))?$/;
const base64url = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$/;
// based on https://stackoverflow.com/questions/106179/regular-expression-to-match-dns-hostname-or-ip-address
// export const hostname: RegExp = /^([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+$/;
const hostname = /^(?=.{1,253}\.?$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-0-9a-zA-Z]{0,61}[0-9a-zA-Z])?)*\.?$/;
const domain = /^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/;
const httpProtocol = /^https?$/;
// https://blog.stevenlevithan.com/archives/validate-phone-number#r4-3 (regex sans spaces) E.164: leading digit must be 1-9; total digits (excluding '+') between 7-15
const e164 = /^\+[1-9]\d{6,14}$/;
// Credit card shape: 12–19 digits, optionally separated by single spaces or single hyphens. ISO/IEC 7812 caps the PAN at 19 digits; 12 is the shortest issued length (Maestro).
const creditCard = /^\d(?:[ -]?\d){11,18}$/;
// ISO 4217 alpha codes from the SIX list, regenerated by scripts/update-iso-4217.ts
const currencyCode = /^(?:AED|AFN|ALL|AMD|AOA|ARS|AUD|AWG|AZN|BAM|BBD|BDT|BHD|BIF|BMD|BND|BOB|BOV|BRL|BSD|BTN|BWP|BYN|BZD|CAD|CDF|CHE|CHF|CHW|CLF|CLP|CNY|COP|COU|CRC|CUP|CVE|CZK|DJF|DKK|DOP|DZD|EGP|ERN|ETB|EUR|FJD|FKP|GBP|GEL|GHS|GIP|GMD|GNF|GTQ|GYD|HKD|HNL|HTG|HUF|IDR|ILS|INR|IQD|IRR|ISK|JMD|JOD|JPY|KES|KGS|KHR|KMF|KPW|KRW|KWD|KYD|KZT|LAK|LBP|LKR|LRD|LSL|LYD|MAD|MDL|MGA|MKD|MMK|MNT|MOP|MRU|MUR|MVR|MWK|MXN|MXV|MYR|MZN|NAD|NGN|NIO|NOK|NPR|NZD|OMR|PAB|PEN|PGK|PHP|PKR|PLN|PYG|QAR|RON|RSD|RUB|RWF|SAR|SBD|SCR|SDG|SEK|SGD|SHP|SLE|SOS|SRD|SSP|STN|SVC|SYP|SZL|THB|TJS|TMT|TND|TOP|TRY|TTD|TWD|TZS|UAH|UGX|USD|USN|UYI|UYU|UYW|UZS|VED|VES|VND|VUV|WST|XAD|XAF|XAG|XAU|XBA|XBB|XBC|XBD|XCD|XCG|XDR|XOF|XPD|XPF|XPT|XSU|XTS|XUA|XXX|YER|ZAR|ZMW|ZWG)$/;
// iban electronic format: 2-letter country, check digits 02-98 (the only values `98 - remainder` can produce), 11-30 bban characters
const iban = /^[A-Z]{2}(?!00|01|99)\d{2}[A-Z0-9]{11,30}$/;
const dateSource = (/* unused pure expression or super */ null && (`(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))`));
/** Anchors a pattern source. The interpolation lives here rather than at the call site because
 * esbuild will not drop a `@__PURE__` call whose own argument interpolates a variable, but it
 * will drop `anchor(dateSource)`. Keeping it inline pinned `date` into every bundle. */
function regexes_anchor(source) {
    return new RegExp(`^${source}$`);
}
const date = /*@__PURE__*/ (/* unused pure expression or super */ null && (regexes_anchor(dateSource)));
function timeSource(args) {
    const hhmm = `(?:[01]\\d|2[0-3]):[0-5]\\d`;
    const regex = typeof args.precision === "number"
        ? args.precision === -1
            ? `${hhmm}`
            : args.precision === 0
                ? `${hhmm}:[0-5]\\d`
                : `${hhmm}:[0-5]\\d\\.\\d{${args.precision}}`
        : args.seconds
            ? `${hhmm}:[0-5]\\d(?:\\.\\d+)?`
            : `${hhmm}(?::[0-5]\\d(?:\\.\\d+)?)?`;
    return regex;
}
function time(args) {
    return new RegExp(`^${timeSource(args)}$`);
}
// Adapted from https://stackoverflow.com/a/3143231
function datetime(args) {
    const opts = ["Z"];
    // if (args.offset) opts.push(`([+-]\\d{2}:\\d{2})`);
    if (args.offset)
        opts.push(`([+-](?:[01]\\d|2[0-3]):[0-5]\\d)`);
    // RFC 3339 mandates seconds wherever the time carries a `Z` or an offset, so only the unqualified form `local` adds may omit them
    const qualified = `${timeSource({ precision: args.precision, seconds: true })}(?:${opts.join("|")})`;
    const timeRegex = args.local ? `${qualified}|${timeSource({ precision: args.precision })}` : qualified;
    return new RegExp(`^${dateSource}T(?:${timeRegex})$`);
}
// the unbounded form of `string()` as a literal, so every plain string shares one instance instead of building its own
const anyString = /^[\s\S]{0,}$/;
const string = (params) => {
    const regex = params ? `[\\s\\S]{${params?.minimum ?? 0},${params?.maximum ?? ""}}` : `[\\s\\S]*`;
    return new RegExp(`^${regex}$`);
};
const bigint = /^-?\d+n?$/;
const integer = /^-?\d+$/;
const number = /^-?\d+(?:\.\d+)?$/;
const regexes_boolean = /^(?:true|false)$/i;
const _null = /^null$/i;

const _undefined = /^undefined$/i;

// regex for string with no uppercase letters
const lowercase = /^[^A-Z]*$/;
// regex for string with no lowercase letters
const uppercase = /^[^a-z]*$/;
// regex for hexadecimal strings (any length)
const hex = /^[0-9a-fA-F]*$/;
// Hash regexes for different algorithms and encodings
// Helper function to create base64 regex with exact length and padding
function fixedBase64(bodyLength, padding) {
    return new RegExp(`^[A-Za-z0-9+/]{${bodyLength}}${padding}$`);
}
// Helper function to create base64url regex with exact length (no padding)
function fixedBase64url(length) {
    return new RegExp(`^[A-Za-z0-9_-]{${length}}$`);
}
// MD5 (16 bytes): base64 = 24 chars total (22 + "==")
const md5_hex = /^[0-9a-fA-F]{32}$/;
const md5_base64 = /*@__PURE__*/ (/* unused pure expression or super */ null && (fixedBase64(22, "==")));
const md5_base64url = /*@__PURE__*/ (/* unused pure expression or super */ null && (fixedBase64url(22)));
// SHA1 (20 bytes): base64 = 28 chars total (27 + "=")
const sha1_hex = /^[0-9a-fA-F]{40}$/;
const sha1_base64 = /*@__PURE__*/ (/* unused pure expression or super */ null && (fixedBase64(27, "=")));
const sha1_base64url = /*@__PURE__*/ (/* unused pure expression or super */ null && (fixedBase64url(27)));
// SHA256 (32 bytes): base64 = 44 chars total (43 + "=")
const sha256_hex = /^[0-9a-fA-F]{64}$/;
const sha256_base64 = /*@__PURE__*/ (/* unused pure expression or super */ null && (fixedBase64(43, "=")));
const sha256_base64url = /*@__PURE__*/ (/* unused pure expression or super */ null && (fixedBase64url(43)));
// SHA384 (48 bytes): base64 = 64 chars total (no padding)
const sha384_hex = /^[0-9a-fA-F]{96}$/;
const sha384_base64 = /*@__PURE__*/ (/* unused pure expression or super */ null && (fixedBase64(64, "")));
const sha384_base64url = /*@__PURE__*/ (/* unused pure expression or super */ null && (fixedBase64url(64)));
// SHA512 (64 bytes): base64 = 88 chars total (86 + "==")
const sha512_hex = /^[0-9a-fA-F]{128}$/;
const sha512_base64 = /*@__PURE__*/ (/* unused pure expression or super */ null && (fixedBase64(86, "==")));
const sha512_base64url = /*@__PURE__*/ (/* unused pure expression or super */ null && (fixedBase64url(86)));

;// CONCATENATED MODULE: ./node_modules/zod/v4/core/versions.js
const version = {
    major: 4,
    minor: 6,
    patch: 7,
};

;// CONCATENATED MODULE: ./node_modules/zod/v4/core/schemas.js







const $ZodType = /*@__PURE__*/ $constructor("$ZodType", (inst, def) => {
    var _a;
    inst ?? (inst = {});
    inst._zod.def = def; // set _def property
    inst._zod.bag = inst._zod.bag || {}; // initialize _bag object
    inst._zod.version = version;
    const defChecks = inst._zod.def.checks;
    // if inst is itself a checks.$ZodCheck, run it as a check
    const checks = inst._zod.traits.has("$ZodCheck")
        ? [inst, ...(defChecks ?? [])]
        : defChecks?.length
            ? [...defChecks]
            : [];
    for (const ch of checks) {
        for (const fn of ch._zod.onattach) {
            fn(inst);
        }
    }
    if (checks.length === 0) {
        // deferred initializer inst._zod.parse is not yet defined
        (_a = inst._zod).deferred ?? (_a.deferred = []);
        inst._zod.deferred?.push(() => {
            inst._zod.run = inst._zod.parse;
        });
    }
    else {
        const runChecks = (payload, checks, ctx) => {
            if (payload.memo)
                return payload;
            let isAborted = aborted(payload);
            let asyncResult;
            for (const ch of checks) {
                if (ch._zod.def.when) {
                    if (explicitlyAborted(payload))
                        continue;
                    const shouldRun = ch._zod.def.when(payload);
                    if (!shouldRun)
                        continue;
                }
                else if (isAborted) {
                    continue;
                }
                const currLen = payload.issues.length;
                const _ = ch._zod.check(payload);
                if (_ instanceof Promise && ctx?.async === false) {
                    throw new $ZodAsyncError();
                }
                if (asyncResult || _ instanceof Promise) {
                    asyncResult = (asyncResult ?? Promise.resolve()).then(async () => {
                        await _;
                        const nextLen = payload.issues.length;
                        if (nextLen === currLen)
                            return;
                        attachSchema(payload.issues, currLen, inst);
                        if (!isAborted)
                            isAborted = aborted(payload, currLen);
                    });
                }
                else {
                    const nextLen = payload.issues.length;
                    if (nextLen === currLen)
                        continue;
                    attachSchema(payload.issues, currLen, inst);
                    if (!isAborted)
                        isAborted = aborted(payload, currLen);
                }
            }
            if (asyncResult) {
                return asyncResult.then(() => {
                    return payload;
                });
            }
            return payload;
        };
        const handleCanaryResult = (canary, payload, ctx) => {
            // abort if the canary is aborted
            if (aborted(canary)) {
                canary.aborted = true;
                return canary;
            }
            // run checks first, then
            const checkResult = runChecks(payload, checks, ctx);
            if (checkResult instanceof Promise) {
                if (ctx.async === false)
                    throw new $ZodAsyncError();
                return checkResult.then((checkResult) => inst._zod.parse(checkResult, ctx));
            }
            return inst._zod.parse(checkResult, ctx);
        };
        inst._zod.run = (payload, ctx) => {
            if (ctx.skipChecks) {
                return inst._zod.parse(payload, ctx);
            }
            if (ctx.direction === "backward") {
                // run canary initial pass (no checks)
                const canary = inst._zod.parse({ value: payload.value, issues: [] }, { ...ctx, skipChecks: true });
                if (canary instanceof Promise) {
                    return canary.then((canary) => {
                        return handleCanaryResult(canary, payload, ctx);
                    });
                }
                return handleCanaryResult(canary, payload, ctx);
            }
            // forward
            const result = inst._zod.parse(payload, ctx);
            if (result instanceof Promise) {
                if (ctx.async === false)
                    throw new $ZodAsyncError();
                return result.then((result) => runChecks(result, checks, ctx));
            }
            return runChecks(result, checks, ctx);
        };
    }
}, {
    // Wrappers extend this by installing a richer factory over it; reading it eagerly would defeat the laziness.
    get "~standard"() {
        return hide(this, "~standard", standardProps(this));
    },
    set "~standard"(value) {
        own(this, "~standard", value);
    },
});
/** The Standard Schema surface for `inst`. Shared so wrappers can extend it without forcing it. */
// a Standard Schema result only reports issues, so a failure finalizes them straight off the raw payload: no ZodError, and no lazy result to read through
const toStandardResult = (r, ctx) => r.issues.length ? { issues: r.issues.map((iss) => finalizeIssue(iss, ctx, config())) } : { value: r.value };
async function validateAsync(inst, value) {
    const ctx = { async: true };
    return toStandardResult((await inst._zod.run({ value, issues: [] }, ctx)), ctx);
}
function standardProps(inst) {
    return {
        validate: (value) => {
            const ctx = { async: false };
            try {
                const r = inst._zod.run({ value, issues: [] }, ctx);
                if (!(r instanceof Promise))
                    return toStandardResult(r, ctx);
            }
            catch (_) { }
            // async function so a synchronously throwing check rejects instead of escaping validate
            return validateAsync(inst, value);
        },
        vendor: "zod",
        version: 1,
    };
}

const $ZodString = /*@__PURE__*/ $constructor("$ZodString", (inst, def) => {
    $ZodType.init(inst, def);
    // a format's own pattern, else unbounded; a template literal derives the check-aware form itself
    inst._zod.pattern = def.pattern ?? anyString;
    inst._zod.parse = (payload, _) => {
        if (def.coerce)
            try {
                payload.value = String(payload.value);
            }
            catch (_) { }
        if (typeof payload.value === "string")
            return payload;
        payload.issues.push({
            expected: "string",
            code: "invalid_type",
            input: payload.value,
            inst,
        });
        return payload;
    };
});
const $ZodStringFormat = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodStringFormat", (inst, def) => {
    // check initialization must come first
    checks.$ZodCheckStringFormat.init(inst, def);
    $ZodString.init(inst, def);
})));
const $ZodGUID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodGUID", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.guid);
    $ZodStringFormat.init(inst, def);
})));
const $ZodUUID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodUUID", (inst, def) => {
    if (def.version) {
        const versionMap = {
            v1: 1,
            v2: 2,
            v3: 3,
            v4: 4,
            v5: 5,
            v6: 6,
            v7: 7,
            v8: 8,
        };
        const v = versionMap[def.version];
        if (v === undefined)
            throw new Error(`Invalid UUID version: "${def.version}"`);
        def.pattern ?? (def.pattern = regexes.uuid(v));
    }
    else
        def.pattern ?? (def.pattern = regexes.uuid());
    $ZodStringFormat.init(inst, def);
})));
const $ZodEmail = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodEmail", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.email);
    $ZodStringFormat.init(inst, def);
})));
/** The `://` guard rejected the input before the URL constructor saw it. */
const URL_BAD_FORMAT = 1;
/** The URL parser rejected the input. */
const URL_UNPARSEABLE = 2;
function canParseURL(input) {
    try {
        if (typeof URL !== "undefined" && typeof URL.canParse === "function")
            return URL.canParse(input);
        new URL(input);
        return true;
    }
    catch {
        return false;
    }
}
function validateURL(trimmed, def) {
    if (!("normalize" in def) && !("hostname" in def) && !("protocol" in def)) {
        return canParseURL(trimmed) || URL_UNPARSEABLE;
    }
    return parseURLObject(trimmed, def);
}
/** Parses a URL while preserving the non-normalizing HTTP guard. */
function parseURLObject(trimmed, def) {
    // When normalize is off, require :// for http/https URLs. This prevents strings like "http:example.com" or "https:/path" from being silently accepted
    if (!def.normalize && def.protocol?.source === regexes.httpProtocol.source && !/^https?:\/\//i.test(trimmed)) {
        return URL_BAD_FORMAT;
    }
    try {
        if (typeof URL !== "undefined") {
            const URLStatic = URL;
            if (typeof URLStatic.parse === "function")
                return URLStatic.parse(trimmed) ?? URL_UNPARSEABLE;
        }
        // @ts-ignore
        return new URL(trimmed);
    }
    catch {
        return URL_UNPARSEABLE;
    }
}
const asciiTabOrNewline = /[\t\n\r]/g;
/** The URL parser deletes every ASCII tab, LF and CR from its input before it parses, so `new URL("https://exa\nmple.com")` reports on `example.com`. Applying the same deletion to the returned value closes the half of that divergence which can move the host; the parser's other rewrite, stripping C0 controls at the edges, cannot. */
function stripTabAndNewline(value) {
    return value.replace(asciiTabOrNewline, "");
}
function urlHostnameOk(url, hostname) {
    hostname.lastIndex = 0;
    return hostname.test(url.hostname);
}
function urlProtocolOk(url, protocol) {
    protocol.lastIndex = 0;
    return protocol.test(url.protocol.endsWith(":") ? url.protocol.slice(0, -1) : url.protocol);
}
const $ZodURL = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodURL", (inst, def) => {
    $ZodStringFormat.init(inst, def);
    inst._zod.check = (payload) => {
        try {
            // Trim whitespace from input
            const trimmed = payload.value.trim();
            const url = validateURL(trimmed, def);
            if (url === URL_BAD_FORMAT) {
                payload.issues.push({
                    code: "invalid_format",
                    format: "url",
                    note: "Invalid URL format",
                    input: payload.value,
                    inst,
                    continue: !def.abort,
                });
                return;
            }
            if (url === URL_UNPARSEABLE) {
                payload.issues.push({
                    code: "invalid_format",
                    format: "url",
                    input: payload.value,
                    inst,
                    continue: !def.abort,
                });
                return;
            }
            if (url === true) {
                payload.value = stripTabAndNewline(trimmed);
                return;
            }
            if (def.hostname && !urlHostnameOk(url, def.hostname)) {
                payload.issues.push({
                    code: "invalid_format",
                    format: "url",
                    note: "Invalid hostname",
                    pattern: def.hostname.source,
                    input: payload.value,
                    inst,
                    continue: !def.abort,
                });
            }
            if (def.protocol && !urlProtocolOk(url, def.protocol)) {
                payload.issues.push({
                    code: "invalid_format",
                    format: "url",
                    note: "Invalid protocol",
                    pattern: def.protocol.source,
                    input: payload.value,
                    inst,
                    continue: !def.abort,
                });
            }
            // Set the output value based on normalize flag
            payload.value = def.normalize ? url.href : stripTabAndNewline(trimmed);
            return;
        }
        catch (_) {
            payload.issues.push({
                code: "invalid_format",
                format: "url",
                input: payload.value,
                inst,
                continue: !def.abort,
            });
        }
    };
})));
const $ZodEmoji = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodEmoji", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.emoji());
    $ZodStringFormat.init(inst, def);
})));
const $ZodNanoID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodNanoID", (inst, def) => {
    if (def.length !== undefined && (!Number.isInteger(def.length) || def.length < 1))
        throw new Error(`Invalid nanoid length: ${def.length}`);
    def.pattern ?? (def.pattern = def.length === undefined ? regexes.nanoid : regexes.nanoidOfLength(def.length));
    $ZodStringFormat.init(inst, def);
})));
/**
 * @deprecated CUID v1 is deprecated by its authors due to information leakage
 * (timestamps embedded in the id). Use {@link $ZodCUID2} instead.
 * See https://github.com/paralleldrive/cuid.
 */
const $ZodCUID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCUID", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.cuid);
    $ZodStringFormat.init(inst, def);
})));
const $ZodCUID2 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCUID2", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.cuid2);
    $ZodStringFormat.init(inst, def);
})));
const $ZodULID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodULID", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.ulid);
    $ZodStringFormat.init(inst, def);
})));
const $ZodXID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodXID", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.xid);
    $ZodStringFormat.init(inst, def);
})));
const $ZodKSUID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodKSUID", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.ksuid);
    $ZodStringFormat.init(inst, def);
})));
const $ZodISODateTime = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodISODateTime", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.datetime(def));
    $ZodStringFormat.init(inst, def);
})));
const $ZodISODate = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodISODate", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.date);
    $ZodStringFormat.init(inst, def);
})));
const $ZodISOTime = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodISOTime", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.time(def));
    $ZodStringFormat.init(inst, def);
})));
const $ZodISODuration = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodISODuration", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.duration);
    $ZodStringFormat.init(inst, def);
})));
const $ZodIPv4 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodIPv4", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.ipv4);
    $ZodStringFormat.init(inst, def);
})));
/** An IPv6 address is written with hex digits, colons and dots, and nothing else. The guard is what makes the check below an IPv6 check: `new URL("http://[...]")` parses an authority, not an address, so `@` and `\` re-delimit it and `"::@1\\"` validates against the host `0.0.0.1`. The URL parser also deletes ASCII tab, LF and CR rather than failing, which is how `"::1\n"` validated as `::1`. */
const ipv6Alphabet = /^[0-9a-fA-F:.]+$/;
function isValidIPv6(value) {
    if (!ipv6Alphabet.test(value))
        return false;
    return canParseURL(`http://[${value}]`);
}
const $ZodIPv6 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodIPv6", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.ipv6);
    $ZodStringFormat.init(inst, def);
    inst._zod.check = (payload) => {
        if (!isValidIPv6(payload.value)) {
            payload.issues.push({
                code: "invalid_format",
                format: "ipv6",
                input: payload.value,
                inst,
                continue: !def.abort,
            });
        }
    };
})));
const $ZodMAC = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodMAC", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.mac(def.delimiter));
    $ZodStringFormat.init(inst, def);
})));
const $ZodCIDRv4 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCIDRv4", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.cidrv4);
    $ZodStringFormat.init(inst, def);
})));
function isValidCIDRv6(value) {
    const parts = value.split("/");
    if (parts.length !== 2)
        return false;
    const [address, prefix] = parts;
    if (!prefix)
        return false;
    const prefixNum = Number(prefix);
    if (`${prefixNum}` !== prefix)
        return false;
    if (prefixNum < 0 || prefixNum > 128)
        return false;
    return isValidIPv6(address);
}
const $ZodCIDRv6 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCIDRv6", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.cidrv6); // not used for validation
    $ZodStringFormat.init(inst, def);
    inst._zod.check = (payload) => {
        if (!isValidCIDRv6(payload.value)) {
            payload.issues.push({
                code: "invalid_format",
                format: "cidrv6",
                input: payload.value,
                inst,
                continue: !def.abort,
            });
        }
    };
})));
//////////////////////////////   ZodBase64   //////////////////////////////
function isValidBase64(data) {
    if (data === "")
        return true;
    // atob ignores whitespace, so reject it up front.
    if (/\s/.test(data))
        return false;
    if (data.length % 4 !== 0)
        return false;
    try {
        // @ts-ignore
        atob(data);
        return true;
    }
    catch {
        return false;
    }
}
// lax on purpose: the quantified regexes.base64 overflows the regex stack on multi-MB input and its leading ^$| alternation leaks through template-literal composition; isValidBase64 enforces length and padding
const base64Charset = /^[0-9a-zA-Z+/]*={0,2}$/;
const $ZodBase64 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodBase64", (inst, def) => {
    def.pattern ?? (def.pattern = base64Charset);
    $ZodStringFormat.init(inst, def);
    inst._zod.check = (payload) => {
        if (isValidBase64(payload.value))
            return;
        payload.issues.push({
            code: "invalid_format",
            format: "base64",
            input: payload.value,
            inst,
            continue: !def.abort,
        });
    };
})));
//////////////////////////////   ZodBase64URL   //////////////////////////////
// lax on purpose: the quantified regexes.base64url overflows the regex stack on multi-MB input; isValidBase64 enforces length on the padded string
const base64urlCharset = /^[A-Za-z0-9_-]*$/;
function isValidBase64URL(data) {
    if (!base64urlCharset.test(data))
        return false;
    const base64 = data.replace(/[-_]/g, (c) => (c === "-" ? "+" : "/"));
    const padded = base64.padEnd(Math.ceil(base64.length / 4) * 4, "=");
    return isValidBase64(padded);
}
const $ZodBase64URL = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodBase64URL", (inst, def) => {
    def.pattern ?? (def.pattern = base64urlCharset);
    $ZodStringFormat.init(inst, def);
    inst._zod.check = (payload) => {
        if (isValidBase64URL(payload.value))
            return;
        payload.issues.push({
            code: "invalid_format",
            format: "base64url",
            input: payload.value,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodE164 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodE164", (inst, def) => {
    def.pattern ?? (def.pattern = regexes.e164);
    $ZodStringFormat.init(inst, def);
})));
//////////////////////////////   ZodCreditCard   //////////////////////////////
const CC_SANITIZE = /[- ]/g;
/** Luhn checksum on a digit-only string. Adapted from valibot (MIT). */
function isLuhnAlgo(digits) {
    let length = digits.length;
    let bit = 1;
    let sum = 0;
    while (length) {
        const value = digits.charCodeAt(--length) - 48;
        bit ^= 1;
        sum += bit ? [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][value] : value;
    }
    return sum % 10 === 0;
}
function isValidCreditCard(input) {
    if (!regexes.creditCard.test(input))
        return false;
    return isLuhnAlgo(input.replace(CC_SANITIZE, ""));
}
const $ZodCreditCard = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCreditCard", (inst, def) => {
    // Shape only — the Luhn check below is not expressible as a pattern, so consumers of `pattern` (JSON Schema, template literals) get the length and separator rules alone.
    def.pattern ?? (def.pattern = regexes.creditCard);
    $ZodStringFormat.init(inst, def);
    inst._zod.check = (payload) => {
        if (isValidCreditCard(payload.value))
            return;
        payload.issues.push({
            code: "invalid_format",
            format: "credit_card",
            input: payload.value,
            inst,
            continue: !def.abort,
        });
    };
})));
//////////////////////////////   ZodIBAN   //////////////////////////////
// iso 7064 mod 97-10 checksum without BigInt
function isIso7064Mod97(iban) {
    let remainder = 0;
    const len = iban.length;
    for (let i = 4; i < len; i++) {
        const code = iban.charCodeAt(i);
        remainder = (code >= 65 ? remainder * 100 + (code - 55) : remainder * 10 + (code - 48)) % 97;
    }
    for (let i = 0; i < 4; i++) {
        const code = iban.charCodeAt(i);
        remainder = (code >= 65 ? remainder * 100 + (code - 55) : remainder * 10 + (code - 48)) % 97;
    }
    return remainder === 1;
}
function isValidIBAN(input) {
    if (!regexes.iban.test(input))
        return false;
    return isIso7064Mod97(input);
}
const $ZodIBAN = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodIBAN", (inst, def) => {
    // shape only — checksum is not expressible as a pattern
    def.pattern ?? (def.pattern = regexes.iban);
    $ZodStringFormat.init(inst, def);
    inst._zod.check = (payload) => {
        if (isValidIBAN(payload.value))
            return;
        payload.issues.push({
            code: "invalid_format",
            format: "iban",
            input: payload.value,
            inst,
            continue: !def.abort,
        });
    };
})));
//////////////////////////////   ZodJWT   //////////////////////////////
function isValidJWT(token, algorithm = null) {
    try {
        const tokensParts = token.split(".");
        if (tokensParts.length !== 3)
            return false;
        const [header] = tokensParts;
        if (!header)
            return false;
        // @ts-ignore
        const parsedHeader = JSON.parse(atob(header));
        if ("typ" in parsedHeader && parsedHeader?.typ !== "JWT")
            return false;
        if (!parsedHeader.alg)
            return false;
        if (algorithm && (!("alg" in parsedHeader) || parsedHeader.alg !== algorithm))
            return false;
        return true;
    }
    catch {
        return false;
    }
}
const $ZodJWT = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodJWT", (inst, def) => {
    $ZodStringFormat.init(inst, def);
    inst._zod.check = (payload) => {
        if (isValidJWT(payload.value, def.alg))
            return;
        payload.issues.push({
            code: "invalid_format",
            format: "jwt",
            input: payload.value,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodCustomStringFormat = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCustomStringFormat", (inst, def) => {
    $ZodStringFormat.init(inst, def);
    inst._zod.check = (payload) => {
        if (def.fn(payload.value))
            return;
        payload.issues.push({
            code: "invalid_format",
            format: def.format,
            input: payload.value,
            inst,
            continue: !def.abort,
        });
    };
})));
const $ZodNumber = /*@__PURE__*/ $constructor("$ZodNumber", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.pattern = number;
    inst._zod.parse = (payload, _ctx) => {
        if (def.coerce)
            try {
                payload.value = Number(payload.value);
            }
            catch (_) { }
        const input = payload.value;
        if (typeof input === "number" && !Number.isNaN(input) && Number.isFinite(input)) {
            return payload;
        }
        const received = typeof input === "number"
            ? Number.isNaN(input)
                ? "NaN"
                : !Number.isFinite(input)
                    ? String(input)
                    : undefined
            : undefined;
        payload.issues.push({
            expected: "number",
            code: "invalid_type",
            input,
            inst,
            ...(received ? { received } : {}),
        });
        return payload;
    };
});
const $ZodNumberFormat = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodNumberFormat", (inst, def) => {
    checks.$ZodCheckNumberFormat.init(inst, def);
    $ZodNumber.init(inst, def); // no format checks
})));
const $ZodBoolean = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodBoolean", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.pattern = regexes.boolean;
    inst._zod.parse = (payload, _ctx) => {
        if (def.coerce)
            try {
                payload.value = Boolean(payload.value);
            }
            catch (_) { }
        const input = payload.value;
        if (typeof input === "boolean")
            return payload;
        payload.issues.push({
            expected: "boolean",
            code: "invalid_type",
            input,
            inst,
        });
        return payload;
    };
})));
const $ZodBigInt = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodBigInt", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.pattern = regexes.bigint;
    inst._zod.parse = (payload, _ctx) => {
        if (def.coerce)
            try {
                payload.value = BigInt(payload.value);
            }
            catch (_) { }
        if (typeof payload.value === "bigint")
            return payload;
        payload.issues.push({
            expected: "bigint",
            code: "invalid_type",
            input: payload.value,
            inst,
        });
        return payload;
    };
})));
const $ZodBigIntFormat = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodBigIntFormat", (inst, def) => {
    checks.$ZodCheckBigIntFormat.init(inst, def);
    $ZodBigInt.init(inst, def); // no format checks
})));
const $ZodSymbol = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodSymbol", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.parse = (payload, _ctx) => {
        const input = payload.value;
        if (typeof input === "symbol")
            return payload;
        payload.issues.push({
            expected: "symbol",
            code: "invalid_type",
            input,
            inst,
        });
        return payload;
    };
})));
const $ZodUndefined = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodUndefined", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.pattern = regexes.undefined;
    inst._zod.values = new Set([undefined]);
    inst._zod.parse = (payload, _ctx) => {
        const input = payload.value;
        if (typeof input === "undefined")
            return payload;
        payload.issues.push({
            expected: "undefined",
            code: "invalid_type",
            input,
            inst,
        });
        return payload;
    };
})));
const $ZodNull = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodNull", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.pattern = regexes.null;
    inst._zod.values = new Set([null]);
    inst._zod.parse = (payload, _ctx) => {
        const input = payload.value;
        if (input === null)
            return payload;
        payload.issues.push({
            expected: "null",
            code: "invalid_type",
            input,
            inst,
        });
        return payload;
    };
})));
const $ZodAny = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodAny", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.parse = (payload) => payload;
})));
const $ZodUnknown = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodUnknown", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.parse = (payload) => payload;
})));
const $ZodNever = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodNever", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.parse = (payload, _ctx) => {
        payload.issues.push({
            expected: "never",
            code: "invalid_type",
            input: payload.value,
            inst,
        });
        return payload;
    };
})));
const $ZodVoid = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodVoid", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.parse = (payload, _ctx) => {
        const input = payload.value;
        if (typeof input === "undefined")
            return payload;
        payload.issues.push({
            expected: "void",
            code: "invalid_type",
            input,
            inst,
        });
        return payload;
    };
})));
const $ZodDate = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodDate", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.parse = (payload, _ctx) => {
        if (def.coerce) {
            try {
                payload.value = new Date(payload.value);
            }
            catch (_err) { }
        }
        const input = payload.value;
        const isDate = input instanceof Date;
        const isValidDate = isDate && !Number.isNaN(input.getTime());
        if (isValidDate)
            return payload;
        payload.issues.push({
            expected: "date",
            code: "invalid_type",
            input,
            ...(isDate ? { received: "Invalid Date" } : {}),
            inst,
        });
        return payload;
    };
})));
// an oversized container fails its leading size checks before any element is parsed
function capSize(inst, size) {
    const caps = util.sizeCaps(inst._zod.def.checks);
    if (!caps.length)
        return;
    const cap = Math.min(...caps.map((c) => c[0]));
    const parse = inst._zod.parse;
    inst._zod.parse = (payload, ctx) => {
        const n = size(payload.value);
        if (n > cap && !ctx?.skipChecks && ctx?.direction !== "backward") {
            for (const [max, ch] of util.sizeCaps(inst._zod.def.checks)) {
                if (n > max && ch._zod.def.when(payload)) {
                    const start = payload.issues.length;
                    ch._zod.check(payload);
                    // the value is still the raw input, so no later check may read it
                    payload.issues[start].continue = false;
                    util.attachSchema(payload.issues, start, inst);
                    return payload;
                }
            }
        }
        return parse(payload, ctx);
    };
}
const arraySize = (input) => (Array.isArray(input) ? input.length : -1);
const mapSize = (input) => (input instanceof Map ? input.size : -1);
const setSize = (input) => (input instanceof Set ? input.size : -1);
function handleArrayResult(result, final, index) {
    if (result.issues.length) {
        final.issues.push(...util.prefixIssues(index, result.issues));
    }
    final.value[index] = result.value;
}
const $ZodArray = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodArray", (inst, def) => {
    $ZodType.init(inst, def);
    const memo = core.globalConfig.memoizer;
    memo?.attach(inst);
    inst._zod.parse = (payload, ctx) => {
        const input = payload.value;
        if (!Array.isArray(input)) {
            payload.issues.push({
                expected: "array",
                code: "invalid_type",
                input,
                inst,
            });
            return payload;
        }
        payload.value = memo ? memo.alloc(inst, payload, Array(input.length), ctx) : Array(input.length);
        const proms = [];
        const abortEarly = ctx?.abortEarly;
        for (let i = 0; i < input.length; i++) {
            const item = input[i];
            const result = def.element._zod.run({
                value: item,
                issues: [],
            }, ctx);
            if (result instanceof Promise) {
                proms.push(result.then((result) => handleArrayResult(result, payload, i)));
            }
            else {
                handleArrayResult(result, payload, i);
                // the element's payload is authoritative here, since handleArrayResult forwards every issue; an object's is not, because it drops a failed absent optional
                if (abortEarly && result.issues.length !== 0 && util.aborted(result))
                    break;
            }
        }
        if (proms.length) {
            return Promise.all(proms).then(() => payload);
        }
        return payload; //handleArrayResultsAsync(parseResults, final);
    };
    capSize(inst, arraySize);
})));
function handlePropertyResult(result, final, key, input, optin, optout) {
    const isPresent = key in input;
    const isOptionalOut = optout === "optional";
    // The middle rung means "absence permitted, nothing supplied in its place", so an absent key contributes nothing — whatever the schema made of `undefined` is invented, not substituted. Only `optional` reaches this with a value: `defaulted` substitutes, and a schema that isn't optional-out has to keep the key.
    if (!isPresent && isOptionalOut && optin === "optional") {
        return;
    }
    if (result.issues.length) {
        // For optional-in/out schemas, ignore errors on absent keys.
        if (optin !== undefined && isOptionalOut && !isPresent) {
            return;
        }
        final.issues.push(...util.prefixIssues(key, result.issues));
    }
    if (!isPresent && optin === undefined) {
        if (!result.issues.length) {
            final.issues.push({
                code: "invalid_type",
                expected: "nonoptional",
                input: undefined,
                path: [key],
            });
        }
        return;
    }
    if (result.value === undefined) {
        if (isPresent || (optin === "defaulted" && !isOptionalOut)) {
            final.value[key] = undefined;
        }
    }
    else {
        final.value[key] = result.value;
    }
}
// one shared instance; a fresh [] per schema cost 56 bytes retained
const NO_SYMBOL_KEYS = (/* unused pure expression or super */ null && ([]));
function normalizeDef(def) {
    const keys = Object.keys(def.shape);
    const ownSymbols = Object.getOwnPropertySymbols(def.shape);
    const symbolKeys = ownSymbols.length ? ownSymbols : NO_SYMBOL_KEYS;
    // aliases `keys` when there are no symbols, so a string-only shape keeps one array
    const allKeys = symbolKeys.length ? [...keys, ...symbolKeys] : keys;
    for (const k of allKeys) {
        if (!def.shape?.[k]?._zod?.traits?.has("$ZodType")) {
            throw new Error(`Invalid element at key "${String(k)}": expected a Zod schema`);
        }
    }
    const okeys = util.optionalKeys(def.shape);
    return {
        ...def,
        allKeys,
        symbolKeys,
        // string-only: handleCatchall matches it against `for...in`, which never yields a symbol
        keySet: new Set(keys),
        numKeys: keys.length,
        optionalKeys: new Set(okeys),
    };
}
function handleCatchall(proms, input, payload, ctx, def, inst, abortEarly) {
    const unrecognized = [];
    const keySet = def.keySet;
    const _catchall = def.catchall._zod;
    const t = _catchall.def.type;
    const optin = _catchall.optin;
    const optout = _catchall.optout;
    // starts at 0, not the current length: the shape phase already ran and may have aborted
    let seen = 0;
    for (const key in input) {
        if (abortEarly && payload.issues.length !== seen) {
            if (util.aborted(payload, seen))
                break;
            seen = payload.issues.length;
        }
        // Must precede the __proto__ branch: a declared key is not unrecognized, even though the shape loop deliberately strips __proto__ from the parsed output.
        if (keySet.has(key))
            continue;
        // Don't copy an undeclared __proto__ into the result; assignment to a plain {} would replace the result prototype. But in strict mode it is still an unknown key, so report it before skipping.
        if (key === "__proto__") {
            if (t === "never")
                unrecognized.push(key);
            continue;
        }
        if (t === "never") {
            unrecognized.push(key);
            continue;
        }
        const r = _catchall.run({ value: input[key], issues: [] }, ctx);
        if (r instanceof Promise) {
            proms.push(r.then((r) => handlePropertyResult(r, payload, key, input, optin, optout)));
        }
        else {
            handlePropertyResult(r, payload, key, input, optin, optout);
        }
    }
    if (unrecognized.length) {
        payload.issues.push({
            code: "unrecognized_keys",
            keys: unrecognized,
            input,
            inst,
            // Describes the shape of the input, not the validity of the parsed value, so it never aborts. The parse still fails; the schema's own checks just get to run first, and an enclosing intersection can reconcile the key against a sibling operand.
            continue: true,
        });
    }
    if (!proms.length)
        return payload;
    return Promise.all(proms).then(() => {
        return payload;
    });
}
const $ZodObject = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodObject", (inst, def) => {
    // requires cast because technically $ZodObject doesn't extend
    $ZodType.init(inst, def);
    const desc = Object.getOwnPropertyDescriptor(def, "shape");
    // a cloned def carries its source's accessor, which knows the shape it answers from; adopting that keeps the clone's keys readable without running it
    const sh = desc?.get ? desc.get.raw : (def.shape ?? {});
    if (sh) {
        // Freezes the shape on first read, so its getters resolve once and every later read sees the same schemas.
        const get = () => {
            const newSh = { ...sh };
            Object.defineProperty(def, "shape", { value: newSh });
            get.raw = newSh;
            return newSh;
        };
        get.raw = sh;
        Object.defineProperty(def, "shape", { get });
    }
    const _normalized = util.cached(() => normalizeDef(def));
    util.defineLazyInternal(inst, "propValues", (zod) => {
        const shape = zod.def.shape;
        const propValues = {};
        for (const key in shape) {
            const field = shape[key]._zod;
            if (field.values) {
                if (!Object.prototype.hasOwnProperty.call(propValues, key)) {
                    util.assignProp(propValues, key, new Set());
                }
                for (const v of field.values)
                    propValues[key].add(v);
                // An omittable slot reads back as undefined at a discriminator lookup, so it has to claim undefined: two options that can both omit the key are not discriminable on it.
                if (field.optin !== undefined)
                    propValues[key].add(undefined);
            }
        }
        return propValues;
    });
    const isObject = util.isObject;
    const catchall = def.catchall;
    let value;
    const memo = core.globalConfig.memoizer;
    memo?.attach(inst);
    inst._zod.parse = (payload, ctx) => {
        value ?? (value = _normalized.value);
        const input = payload.value;
        if (!isObject(input)) {
            payload.issues.push({
                expected: "object",
                code: "invalid_type",
                input,
                inst,
            });
            return payload;
        }
        payload.value = memo ? memo.alloc(inst, payload, {}, ctx) : {};
        const proms = [];
        const shape = value.shape;
        const abortEarly = ctx?.abortEarly;
        let seen = payload.issues.length;
        for (const key of value.allKeys) {
            if (abortEarly && payload.issues.length !== seen) {
                if (util.aborted(payload, seen))
                    break;
                seen = payload.issues.length;
            }
            if (key === "__proto__")
                continue;
            const el = shape[key];
            const optin = el._zod.optin;
            const optout = el._zod.optout;
            const r = el._zod.run({ value: input[key], issues: [] }, ctx);
            if (r instanceof Promise) {
                proms.push(r.then((r) => handlePropertyResult(r, payload, key, input, optin, optout)));
            }
            else {
                handlePropertyResult(r, payload, key, input, optin, optout);
            }
        }
        if (!catchall) {
            return proms.length ? Promise.all(proms).then(() => payload) : payload;
        }
        return handleCatchall(proms, input, payload, ctx, _normalized.value, inst, abortEarly === true);
    };
})));
const $ZodObjectJIT = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodObjectJIT", (inst, def) => {
    // requires cast because technically $ZodObject doesn't extend
    $ZodObject.init(inst, def);
    const superParse = inst._zod.parse;
    const _normalized = util.cached(() => normalizeDef(def));
    const memo = core.globalConfig.memoizer;
    const generateFastpass = (shape) => {
        const normalized = _normalized.value;
        const syms = normalized.symbolKeys;
        // a symbol has no source literal, so it is read as `syms[i]` off the closed-over scope
        const doc = new Doc(["payload", "ctx"], { shape, inst, memo, syms });
        const parseStr = (k) => `shape[${k}]._zod.run({ value: input[${k}], issues: [] }, ctx)`;
        // prefixes in place, like util.prefixIssues. newResult must land before the early return: a catchall runs after this and would otherwise write onto the caller's input
        const prefixStr = (id, k) => `
          let ${id}_ab = false;
          for (let i = 0; i < ${id}.issues.length; i++) {
            const iss = ${id}.issues[i];
            iss.path = iss.path ? [${k}, ...iss.path] : [${k}];
            payload.issues.push(iss);
            if (iss.continue !== true) ${id}_ab = true;
          }
          if (${id}_ab && ctx && ctx.abortEarly) {
            payload.value = newResult;
            return payload;
          }`;
        doc.write(`const input = payload.value;`);
        const ids = Object.create(null);
        let counter = 0;
        for (const key of normalized.allKeys) {
            ids[key] = `key_${counter++}`;
        }
        // A: preserve key order {
        doc.write(memo ? `const newResult = memo.alloc(inst, payload, {}, ctx);` : `const newResult = {};`);
        for (const key of normalized.allKeys) {
            if (key === "__proto__")
                continue;
            const id = ids[key];
            const k = typeof key === "symbol" ? `syms[${syms.indexOf(key)}]` : util.esc(key);
            const isPresent = `${k} in input`;
            const schema = shape[key];
            const optin = schema?._zod?.optin;
            const isOptionalIn = optin !== undefined;
            const isOptionalOut = schema?._zod?.optout === "optional";
            doc.write(`const ${id} = ${parseStr(k)};`);
            if (isOptionalIn && isOptionalOut) {
                // For optional-in/out schemas, ignore errors on absent keys — and, like the interpreted path, drop the value produced alongside them. The middle rung goes further: it permits absence without supplying anything in its place, so an absent key contributes nothing at all.
                const assign = optin === "optional" ? `${id}_present` : `${id}.value !== undefined || ${id}_present`;
                doc.write(`
        const ${id}_present = ${isPresent};
        if (!${id}.issues.length || ${id}_present) {
          if (${id}.issues.length) {${prefixStr(id, k)}
          }

          if (${assign}) {
            newResult[${k}] = ${id}.value;
          }
        }

      `);
            }
            else if (!isOptionalIn) {
                doc.write(`
        const ${id}_present = ${isPresent};
        if (${id}.issues.length) {${prefixStr(id, k)}
        }
        if (!${id}_present && !${id}.issues.length) {
          payload.issues.push({
            code: "invalid_type",
            expected: "nonoptional",
            input: undefined,
            path: [${k}]
          });
          if (ctx && ctx.abortEarly) {
            payload.value = newResult;
            return payload;
          }
        }

        if (${id}_present) {
          newResult[${k}] = ${id}.value;
        }

      `);
            }
            else {
                doc.write(`
        if (${id}.issues.length) {${prefixStr(id, k)}
        }
      `);
                if (optin === "defaulted") {
                    doc.write(`newResult[${k}] = ${id}.value;`);
                }
                else {
                    doc.write(`
        if (${id}.value !== undefined || ${isPresent}) {
          newResult[${k}] = ${id}.value;
        }
      `);
                }
            }
        }
        doc.write(`payload.value = newResult;`);
        doc.write(`return payload;`);
        // closing `shape` in is what pays: turbofan specializes the parser against that one shape object, so every `shape[k]._zod.run` folds to a known callee. as a parameter it stays a generic load and measures 13% slower even with the forwarding frame gone
        return doc.compile();
    };
    let fastpass;
    const isObject = util.isObject;
    const jit = !core.globalConfig.jitless;
    const allowsEval = util.allowsEval;
    const fastEnabled = jit && allowsEval.value; // && !def.catchall;
    const catchall = def.catchall;
    let value;
    inst._zod.parse = (payload, ctx) => {
        value ?? (value = _normalized.value);
        const input = payload.value;
        if (!isObject(input)) {
            payload.issues.push({
                expected: "object",
                code: "invalid_type",
                input,
                inst,
            });
            return payload;
        }
        if (jit && fastEnabled && ctx?.async === false && ctx.jitless !== true) {
            // always synchronous
            if (!fastpass)
                fastpass = generateFastpass(def.shape);
            payload = fastpass(payload, ctx);
            if (!catchall)
                return payload;
            return handleCatchall([], input, payload, ctx, value, inst, ctx?.abortEarly === true);
        }
        return superParse(payload, ctx);
    };
})));
function handleUnionResults(results, final, inst, ctx) {
    for (const result of results) {
        if (result.issues.length === 0) {
            final.value = result.value;
            return final;
        }
    }
    const nonaborted = results.filter((r) => !util.aborted(r));
    if (nonaborted.length === 1) {
        final.value = nonaborted[0].value;
        return nonaborted[0];
    }
    final.issues.push({
        code: "invalid_union",
        input: final.value,
        inst,
        errors: results.map((result) => result.issues.map((iss) => util.finalizeIssue(iss, ctx, core.config()))),
    });
    return final;
}
const $ZodUnion = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodUnion", (inst, def) => {
    $ZodType.init(inst, def);
    util.defineLazyInternal(inst, "optin", (zod) => zod.def.options.some((o) => o._zod.optin === "defaulted")
        ? "defaulted"
        : zod.def.options.some((o) => o._zod.optin !== undefined)
            ? "optional"
            : undefined);
    util.defineLazyInternal(inst, "optout", (zod) => zod.def.options.some((o) => o._zod.optout === "optional") ? "optional" : undefined);
    util.defineLazyInternal(inst, "values", (zod) => {
        if (zod.def.options.every((o) => o._zod.values)) {
            return new Set(zod.def.options.flatMap((option) => Array.from(option._zod.values)));
        }
        return undefined;
    });
    util.defineLazyInternal(inst, "pattern", (zod) => {
        if (zod.def.options.every((o) => o._zod.pattern)) {
            const patterns = zod.def.options.map((o) => o._zod.pattern);
            return new RegExp(`^(${patterns.map((p) => util.cleanRegex(p.source)).join("|")})$`);
        }
        return undefined;
    });
    const first = def.options.length === 1 ? def.options[0]._zod.run : null;
    inst._zod.parse = (payload, ctx) => {
        if (first) {
            return first(payload, ctx);
        }
        let async = false;
        const results = [];
        for (const option of def.options) {
            const result = option._zod.run({
                value: payload.value,
                issues: [],
            }, ctx);
            if (result instanceof Promise) {
                results.push(result);
                async = true;
            }
            else {
                if (result.issues.length === 0)
                    return result;
                results.push(result);
            }
        }
        if (!async)
            return handleUnionResults(results, payload, inst, ctx);
        return Promise.all(results).then((results) => {
            return handleUnionResults(results, payload, inst, ctx);
        });
    };
})));
function handleExclusiveUnionResults(results, final, inst, ctx) {
    const matches = [];
    for (let i = 0; i < results.length; i++) {
        if (results[i].issues.length === 0)
            matches.push(i);
    }
    if (matches.length === 1) {
        final.value = results[matches[0]].value;
        return final;
    }
    if (matches.length === 0) {
        // No matches - same as regular union
        final.issues.push({
            code: "invalid_union",
            input: final.value,
            inst,
            errors: results.map((result) => result.issues.map((iss) => util.finalizeIssue(iss, ctx, core.config()))),
        });
    }
    else {
        // Multiple matches - exclusive union failure
        final.issues.push({
            code: "invalid_union",
            input: final.value,
            inst,
            errors: [],
            inclusive: false,
            matches,
        });
    }
    return final;
}
const $ZodXor = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodXor", (inst, def) => {
    $ZodUnion.init(inst, def);
    def.inclusive = false;
    const first = def.options.length === 1 ? def.options[0]._zod.run : null;
    inst._zod.parse = (payload, ctx) => {
        if (first) {
            return first(payload, ctx);
        }
        let async = false;
        const results = [];
        for (const option of def.options) {
            const result = option._zod.run({
                value: payload.value,
                issues: [],
            }, ctx);
            if (result instanceof Promise) {
                results.push(result);
                async = true;
            }
            else {
                results.push(result);
            }
        }
        if (!async)
            return handleExclusiveUnionResults(results, payload, inst, ctx);
        return Promise.all(results).then((results) => {
            return handleExclusiveUnionResults(results, payload, inst, ctx);
        });
    };
})));
/** Returns the option whose discriminator claims `value`, or throws if ambiguous. */
function getDiscriminatedOption(union, value) {
    const internals = union._zod;
    let map = internals.bag.optionsMap;
    if (!map) {
        map = discriminatorMap(internals.def);
        internals.bag.optionsMap = map;
    }
    const option = map.get(value);
    if (option === null)
        throw new Error(`Ambiguous discriminator value "${String(value)}"`);
    return option;
}
function discriminatorMap(def) {
    const map = new Map();
    for (const option of def.options) {
        const values = option._zod.propValues?.[def.discriminator];
        if (!values || values.size === 0)
            throw new Error(`Invalid discriminated union option at index "${def.options.indexOf(option)}"`);
        for (const value of values) {
            if (map.has(value)) {
                if (value !== undefined)
                    throw new Error(`Duplicate discriminator value "${String(value)}"`);
                // keep the collision marked so a later member cannot reclaim it
                map.set(value, null);
            }
            else {
                map.set(value, option);
            }
        }
    }
    return map;
}
const $ZodDiscriminatedUnion = 
/*@__PURE__*/
(/* unused pure expression or super */ null && (core.$constructor("$ZodDiscriminatedUnion", (inst, def) => {
    def.inclusive = false;
    $ZodUnion.init(inst, def);
    const _super = inst._zod.parse;
    util.defineLazyInternal(inst, "propValues", (zod) => {
        const propValues = {};
        let undefinedCount = 0;
        for (const option of zod.def.options) {
            const pv = option._zod.propValues;
            if (!pv || Object.keys(pv).length === 0)
                throw new Error(`Invalid discriminated union option at index "${zod.def.options.indexOf(option)}"`);
            if (pv[zod.def.discriminator]?.has(undefined))
                undefinedCount++;
            for (const [k, v] of Object.entries(pv)) {
                if (!Object.prototype.hasOwnProperty.call(propValues, k)) {
                    util.assignProp(propValues, k, new Set());
                }
                for (const val of v) {
                    propValues[k].add(val);
                }
            }
        }
        if (!zod.def.unionFallback && undefinedCount > 1)
            propValues[zod.def.discriminator]?.delete(undefined);
        return propValues;
    });
    // Checked now rather than in the lookup map below, so an option that lacks the discriminator fails at the `discriminatedUnion` call instead of on the first object parsed. Options whose shape cannot be enumerated without resolving it — pipes and lazies — are left to the map.
    def.options.forEach((option, i) => {
        const propShape = util.rawShape(option._zod.def);
        if (propShape && !Object.prototype.hasOwnProperty.call(propShape, def.discriminator)) {
            throw new Error(`Invalid discriminated union option at index "${i}"`);
        }
    });
    const disc = util.cached(() => discriminatorMap(def));
    inst._zod.parse = (payload, ctx) => {
        const input = payload.value;
        if (!util.isObject(input)) {
            payload.issues.push({
                code: "invalid_type",
                expected: "object",
                input,
                inst,
            });
            return payload;
        }
        const value = input?.[def.discriminator];
        const opt = disc.value.get(value);
        // forward metadata cannot choose an encoder for an absent tag
        if (opt && (value !== undefined || ctx.direction !== "backward")) {
            return opt._zod.run(payload, ctx);
        }
        // Fall back to union matching when the fast discriminator path fails:
        // - explicitly enabled via unionFallback, or
        // - during backward direction (encode), since codec-based discriminators have different values in forward vs backward directions
        if (def.unionFallback || ctx.direction === "backward") {
            return _super(payload, ctx);
        }
        // no matching discriminator
        payload.issues.push({
            code: "invalid_union",
            errors: [],
            note: "No matching discriminator",
            discriminator: def.discriminator,
            options: Array.from(disc.value.keys()).filter((value) => disc.value.get(value) !== null),
            input,
            path: [def.discriminator],
            inst,
        });
        return payload;
    };
})));
const $ZodIntersection = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodIntersection", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.parse = (payload, ctx) => {
        const input = payload.value;
        const left = def.left._zod.run({ value: input, issues: [] }, ctx);
        const right = def.right._zod.run({ value: input, issues: [] }, ctx);
        const async = left instanceof Promise || right instanceof Promise;
        if (async) {
            return Promise.all([left, right]).then(([left, right]) => {
                return handleIntersectionResults(payload, left, right);
            });
        }
        return handleIntersectionResults(payload, left, right);
    };
})));
function mergeValues(a, b) {
    // const aType = parse.t(a);
    // const bType = parse.t(b);
    if (a === b) {
        return { valid: true, data: a };
    }
    if (a instanceof Date && b instanceof Date && +a === +b) {
        return { valid: true, data: a };
    }
    if (util.isPlainObject(a) && util.isPlainObject(b)) {
        const bKeys = Object.keys(b);
        const sharedKeys = Object.keys(a).filter((key) => bKeys.indexOf(key) !== -1);
        const newObj = { ...a, ...b };
        if (Object.prototype.hasOwnProperty.call(newObj, "__proto__"))
            delete newObj.__proto__;
        for (const key of sharedKeys) {
            if (key === "__proto__")
                continue;
            const sharedValue = mergeValues(a[key], b[key]);
            if (!sharedValue.valid) {
                return {
                    valid: false,
                    mergeErrorPath: [key, ...sharedValue.mergeErrorPath],
                };
            }
            newObj[key] = sharedValue.data;
        }
        return { valid: true, data: newObj };
    }
    if (Array.isArray(a) && Array.isArray(b)) {
        if (a.length !== b.length) {
            return { valid: false, mergeErrorPath: [] };
        }
        const newArray = [];
        for (let index = 0; index < a.length; index++) {
            const itemA = a[index];
            const itemB = b[index];
            const sharedValue = mergeValues(itemA, itemB);
            if (!sharedValue.valid) {
                return {
                    valid: false,
                    mergeErrorPath: [index, ...sharedValue.mergeErrorPath],
                };
            }
            newArray.push(sharedValue.data);
        }
        return { valid: true, data: newArray };
    }
    return { valid: false, mergeErrorPath: [] };
}
function handleIntersectionResults(result, left, right) {
    // Track which side(s) reject each key. A key rejection is reported only when BOTH sides reject it, so a key owned by one branch survives the other's key schema. strictObject reports these as unrecognized_keys; a record with an open key schema reports one invalid_key per key.
    const unrecKeys = new Map();
    let unrecIssue;
    const keyIssues = new Map();
    const collect = (iss, side) => {
        let keys;
        if (iss.code === "unrecognized_keys" && !iss.path?.length) {
            unrecIssue ?? (unrecIssue = iss);
            keys = iss.keys;
        }
        else if (iss.code === "invalid_key" && iss.origin === "record" && iss.path?.length === 1) {
            const k = String(iss.path[0]);
            if (!keyIssues.has(k))
                keyIssues.set(k, iss);
            keys = [k];
        }
        else {
            return false;
        }
        for (const k of keys) {
            if (!unrecKeys.has(k))
                unrecKeys.set(k, {});
            unrecKeys.get(k)[side] = true;
        }
        return true;
    };
    for (const iss of left.issues) {
        if (!collect(iss, "l"))
            result.issues.push(iss);
    }
    for (const iss of right.issues) {
        if (!collect(iss, "r"))
            result.issues.push(iss);
    }
    // Report only keys rejected by BOTH sides
    const bothKeys = [...unrecKeys].filter(([, f]) => f.l && f.r).map(([k]) => k);
    if (bothKeys.length) {
        const aggregated = unrecIssue ? bothKeys.filter((k) => unrecIssue.keys.includes(k)) : [];
        if (aggregated.length)
            result.issues.push({ ...unrecIssue, keys: aggregated });
        for (const k of bothKeys) {
            if (!aggregated.includes(k) && keyIssues.has(k))
                result.issues.push(keyIssues.get(k));
        }
    }
    const merged = mergeValues(left.value, right.value);
    if (!merged.valid) {
        if (util.aborted(result))
            return result;
        throw new Error(`Unmergable intersection. Error path: ` + `${JSON.stringify(merged.mergeErrorPath)}`);
    }
    result.value = merged.data;
    return result;
}
const $ZodTuple = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodTuple", (inst, def) => {
    $ZodType.init(inst, def);
    const items = def.items;
    const memo = core.globalConfig.memoizer;
    memo?.attach(inst);
    inst._zod.parse = (payload, ctx) => {
        const input = payload.value;
        if (!Array.isArray(input)) {
            payload.issues.push({
                input,
                inst,
                expected: "tuple",
                code: "invalid_type",
            });
            return payload;
        }
        payload.value = memo ? memo.alloc(inst, payload, [], ctx) : [];
        const proms = [];
        const optinStart = getTupleOptStart(items, "optin");
        const optoutStart = getTupleOptStart(items, "optout");
        if (!def.rest) {
            if (input.length < optinStart) {
                payload.issues.push({
                    code: "too_small",
                    minimum: optinStart,
                    inclusive: true,
                    input,
                    inst,
                    origin: "array",
                });
                return payload;
            }
            if (input.length > items.length) {
                payload.issues.push({
                    code: "too_big",
                    maximum: items.length,
                    inclusive: true,
                    input,
                    inst,
                    origin: "array",
                });
            }
        }
        // Run every item in parallel, collecting results into an indexed array. The post-processing in `handleTupleResults` walks them in order so it can decide whether an absent optional-output error can truncate the tail or must be reported to preserve required output.
        const itemResults = new Array(items.length);
        // only tracked when there is a rest loop to skip
        const abortEarly = def.rest ? ctx?.abortEarly : undefined;
        let itemAborted = false;
        for (let i = 0; i < items.length; i++) {
            const r = items[i]._zod.run({ value: input[i], issues: [] }, ctx);
            if (r instanceof Promise) {
                proms.push(r.then((rr) => {
                    itemResults[i] = rr;
                }));
            }
            else {
                itemResults[i] = r;
                if (abortEarly && !itemAborted && r.issues.length)
                    itemAborted = util.aborted(r);
            }
        }
        // sound because rest is non-empty exactly when every fixed index is present, the one case handleTupleResults cannot discard an item's issues
        if (def.rest && !itemAborted) {
            let i = items.length - 1;
            const rest = input.slice(items.length);
            let seen = payload.issues.length;
            for (const el of rest) {
                if (abortEarly && payload.issues.length !== seen) {
                    if (util.aborted(payload, seen))
                        break;
                    seen = payload.issues.length;
                }
                i++;
                const result = def.rest._zod.run({ value: el, issues: [] }, ctx);
                if (result instanceof Promise) {
                    proms.push(result.then((r) => handleTupleResult(r, payload, i)));
                }
                else {
                    handleTupleResult(result, payload, i);
                }
            }
        }
        if (proms.length) {
            return Promise.all(proms).then(() => handleTupleResults(itemResults, payload, items, input, optoutStart));
        }
        return handleTupleResults(itemResults, payload, items, input, optoutStart);
    };
})));
function getTupleOptStart(items, key) {
    for (let i = items.length - 1; i >= 0; i--) {
        // optin is a three-rung ladder so any rung above `undefined` permits an absent slot; optout stays two-valued.
        const omittable = key === "optin" ? items[i]._zod.optin !== undefined : items[i]._zod.optout === "optional";
        if (!omittable)
            return i + 1;
    }
    return 0;
}
function handleTupleResult(result, final, index) {
    if (result.issues.length) {
        final.issues.push(...util.prefixIssues(index, result.issues));
    }
    final.value[index] = result.value;
}
function handleTupleResults(itemResults, final, items, input, optoutStart) {
    // Walk results in order. Mirror $ZodObject's swallow-on-absent-optional rule, but only after `optoutStart`: the first index where the output tuple tail can be absent.
    for (let i = 0; i < items.length; i++) {
        const r = itemResults[i];
        const isPresent = i < input.length;
        // The array analog of `handlePropertyResult`'s absent-key early return: the middle rung permits absence without supplying anything in its place, so the tail truncates here instead of materializing whatever the item made of `undefined`.
        if (!isPresent && i >= optoutStart && items[i]._zod.optin === "optional") {
            final.value.length = i;
            break;
        }
        if (r.issues.length) {
            if (!isPresent && i >= optoutStart) {
                final.value.length = i;
                break;
            }
            final.issues.push(...util.prefixIssues(i, r.issues));
        }
        final.value[i] = r.value;
    }
    // Drop trailing slots that produced `undefined` for absent input
    // (the array analog of an absent optional key on an object). The
    // `i >= input.length` floor is critical: an explicit `undefined`
    // *inside* the input must be preserved even when the schema is
    // optional-out (e.g. `z.string().or(z.undefined())` accepting an
    // explicit undefined value).
    for (let i = final.value.length - 1; i >= input.length; i--) {
        if (items[i]._zod.optout === "optional" && final.value[i] === undefined) {
            final.value.length = i;
        }
        else {
            break;
        }
    }
    return final;
}
const $ZodRecord = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodRecord", (inst, def) => {
    $ZodType.init(inst, def);
    const memo = core.globalConfig.memoizer;
    memo?.attach(inst);
    inst._zod.parse = (payload, ctx) => {
        const input = payload.value;
        if (!util.isPlainObject(input)) {
            payload.issues.push({
                expected: "record",
                code: "invalid_type",
                input,
                inst,
            });
            return payload;
        }
        // no guard in either loop below: a record's invalid_key aborts but an enclosing intersection can reconcile it, so a stopped loop hides keys the sibling does not own and the intersection then rejects nothing
        const proms = [];
        const values = def.keyType._zod.values;
        if (values && !def.partial) {
            payload.value = memo ? memo.alloc(inst, payload, {}, ctx) : {};
            const recordKeys = new Set();
            for (const key of values) {
                if (typeof key === "string" || typeof key === "number" || typeof key === "symbol") {
                    recordKeys.add(typeof key === "number" ? key.toString() : key);
                    // A declared __proto__ is stripped but is not an unrecognized key.
                    if (key === "__proto__")
                        continue;
                    const keyResult = def.keyType._zod.run({ value: key, issues: [] }, ctx);
                    if (keyResult instanceof Promise) {
                        throw new Error("Async schemas not supported in object keys currently");
                    }
                    if (keyResult.issues.length) {
                        payload.issues.push({
                            code: "invalid_key",
                            origin: "record",
                            issues: keyResult.issues.map((iss) => util.finalizeIssue(iss, ctx, core.config())),
                            input: key,
                            path: [key],
                            inst,
                        });
                        continue;
                    }
                    const outKey = keyResult.value;
                    if (outKey === "__proto__")
                        continue;
                    const result = def.valueType._zod.run({ value: input[key], issues: [] }, ctx);
                    if (result instanceof Promise) {
                        proms.push(result.then((result) => {
                            if (result.issues.length) {
                                payload.issues.push(...util.prefixIssues(key, result.issues));
                            }
                            payload.value[outKey] = result.value;
                        }));
                    }
                    else {
                        if (result.issues.length) {
                            payload.issues.push(...util.prefixIssues(key, result.issues));
                        }
                        payload.value[outKey] = result.value;
                    }
                }
            }
            let unrecognized;
            for (const key in input) {
                if (!recordKeys.has(key)) {
                    if (def.mode === "loose") {
                        // skip __proto__ so it can't replace the result prototype via the assignment setter on the plain {} we build into
                        if (key === "__proto__")
                            continue;
                        payload.value[key] = input[key];
                    }
                    else {
                        unrecognized = unrecognized ?? [];
                        unrecognized.push(key);
                    }
                }
            }
            if (unrecognized && unrecognized.length > 0) {
                payload.issues.push({
                    code: "unrecognized_keys",
                    input,
                    inst,
                    keys: unrecognized,
                    continue: true,
                });
            }
        }
        else {
            payload.value = memo ? memo.alloc(inst, payload, {}, ctx) : {};
            // An enumerable key schema declares which keys the record owns, so a key outside the set is unrecognized. A non-enumerable one (regex, refine) is a constraint every key must satisfy, so a failing key is invalid. Only the former is reconcilable against the other side of an intersection.
            let unrecognized;
            // Reflect.ownKeys for Symbol-key support; filter non-enumerable to match z.object()
            for (const key of Reflect.ownKeys(input)) {
                if (key === "__proto__")
                    continue;
                if (!Object.prototype.propertyIsEnumerable.call(input, key))
                    continue;
                let keyResult = def.keyType._zod.run({ value: key, issues: [] }, ctx);
                if (keyResult instanceof Promise) {
                    throw new Error("Async schemas not supported in object keys currently");
                }
                // Numeric string fallback: if key is a numeric string and failed, retry with Number(key). This handles z.number(), z.literal([1, 2, 3]), and unions containing numeric literals
                const checkNumericKey = typeof key === "string" && regexes.number.test(key) && keyResult.issues.length;
                if (checkNumericKey) {
                    const retryResult = def.keyType._zod.run({ value: Number(key), issues: [] }, ctx);
                    if (retryResult instanceof Promise) {
                        throw new Error("Async schemas not supported in object keys currently");
                    }
                    if (retryResult.issues.length === 0) {
                        keyResult = retryResult;
                    }
                }
                if (keyResult.issues.length) {
                    if (def.mode === "loose") {
                        // Pass through unchanged
                        payload.value[key] = input[key];
                    }
                    else if (values) {
                        unrecognized = unrecognized ?? [];
                        unrecognized.push(key);
                    }
                    else {
                        // Default "strict" behavior: error on invalid key
                        payload.issues.push({
                            code: "invalid_key",
                            origin: "record",
                            issues: keyResult.issues.map((iss) => util.finalizeIssue(iss, ctx, core.config())),
                            input: key,
                            path: [key],
                            inst,
                        });
                    }
                    continue;
                }
                // the guard above tests the raw input key, but the key schema can normalize an ordinary key into __proto__; re-check the key we actually write under
                const outKey = keyResult.value;
                if (outKey === "__proto__")
                    continue;
                const result = def.valueType._zod.run({ value: input[key], issues: [] }, ctx);
                if (result instanceof Promise) {
                    proms.push(result.then((result) => {
                        if (result.issues.length) {
                            payload.issues.push(...util.prefixIssues(key, result.issues));
                        }
                        payload.value[outKey] = result.value;
                    }));
                }
                else {
                    if (result.issues.length) {
                        payload.issues.push(...util.prefixIssues(key, result.issues));
                    }
                    payload.value[outKey] = result.value;
                }
            }
            if (unrecognized && unrecognized.length > 0) {
                payload.issues.push({
                    code: "unrecognized_keys",
                    input,
                    inst,
                    keys: unrecognized,
                    continue: true,
                });
            }
        }
        if (proms.length) {
            return Promise.all(proms).then(() => payload);
        }
        return payload;
    };
})));
const $ZodMap = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodMap", (inst, def) => {
    $ZodType.init(inst, def);
    const memo = core.globalConfig.memoizer;
    memo?.attach(inst);
    inst._zod.parse = (payload, ctx) => {
        const input = payload.value;
        if (!(input instanceof Map)) {
            payload.issues.push({
                expected: "map",
                code: "invalid_type",
                input,
                inst,
            });
            return payload;
        }
        const proms = [];
        payload.value = memo ? memo.alloc(inst, payload, new Map(), ctx) : new Map();
        const abortEarly = ctx?.abortEarly;
        let seen = payload.issues.length;
        for (const [key, value] of input) {
            if (abortEarly && payload.issues.length !== seen) {
                if (util.aborted(payload, seen))
                    break;
                seen = payload.issues.length;
            }
            const keyResult = def.keyType._zod.run({ value: key, issues: [] }, ctx);
            const valueResult = def.valueType._zod.run({ value: value, issues: [] }, ctx);
            if (keyResult instanceof Promise || valueResult instanceof Promise) {
                proms.push(Promise.all([keyResult, valueResult]).then(([keyResult, valueResult]) => {
                    handleMapResult(keyResult, valueResult, payload, key, input, inst, ctx);
                }));
            }
            else {
                handleMapResult(keyResult, valueResult, payload, key, input, inst, ctx);
            }
        }
        if (proms.length)
            return Promise.all(proms).then(() => payload);
        return payload;
    };
    capSize(inst, mapSize);
})));
function handleMapResult(keyResult, valueResult, final, key, input, inst, ctx) {
    if (keyResult.issues.length) {
        if (util.propertyKeyTypes.has(typeof key)) {
            final.issues.push(...util.prefixIssues(key, keyResult.issues));
        }
        else {
            final.issues.push({
                code: "invalid_key",
                origin: "map",
                input,
                inst,
                issues: keyResult.issues.map((iss) => util.finalizeIssue(iss, ctx, core.config())),
            });
        }
    }
    if (valueResult.issues.length) {
        if (util.propertyKeyTypes.has(typeof key)) {
            final.issues.push(...util.prefixIssues(key, valueResult.issues));
        }
        else {
            final.issues.push({
                origin: "map",
                code: "invalid_element",
                input,
                inst,
                key: key,
                issues: valueResult.issues.map((iss) => util.finalizeIssue(iss, ctx, core.config())),
            });
        }
    }
    final.value.set(keyResult.value, valueResult.value);
}
const $ZodSet = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodSet", (inst, def) => {
    $ZodType.init(inst, def);
    const memo = core.globalConfig.memoizer;
    memo?.attach(inst);
    inst._zod.parse = (payload, ctx) => {
        const input = payload.value;
        if (!(input instanceof Set)) {
            payload.issues.push({
                input,
                inst,
                expected: "set",
                code: "invalid_type",
            });
            return payload;
        }
        const proms = [];
        payload.value = memo ? memo.alloc(inst, payload, new Set(), ctx) : new Set();
        const abortEarly = ctx?.abortEarly;
        let seen = payload.issues.length;
        for (const item of input) {
            if (abortEarly && payload.issues.length !== seen) {
                if (util.aborted(payload, seen))
                    break;
                seen = payload.issues.length;
            }
            const result = def.valueType._zod.run({ value: item, issues: [] }, ctx);
            if (result instanceof Promise) {
                proms.push(result.then((result) => handleSetResult(result, payload)));
            }
            else
                handleSetResult(result, payload);
        }
        if (proms.length)
            return Promise.all(proms).then(() => payload);
        return payload;
    };
    capSize(inst, setSize);
})));
function handleSetResult(result, final) {
    if (result.issues.length) {
        final.issues.push(...result.issues);
    }
    final.value.add(result.value);
}
const $ZodEnum = /*@__PURE__*/ $constructor("$ZodEnum", (inst, def) => {
    $ZodType.init(inst, def);
    const values = getEnumValues(def.entries);
    const valuesSet = new Set(values);
    inst._zod.values = valuesSet;
    defineLazyInternal(inst, "pattern", (zod) => {
        const patternValues = getEnumValues(zod.def.entries).filter((k) => propertyKeyTypes.has(typeof k));
        // unmatchable fallback, RE2-safe: an empty alternation would compile to /^()$/, which matches ""
        return new RegExp(patternValues.length ? `^(${patternValues.map((o) => escapeRegex(o.toString())).join("|")})$` : "^[^\\s\\S]$");
    });
    inst._zod.parse = (payload, _ctx) => {
        const input = payload.value;
        if (valuesSet.has(input)) {
            return payload;
        }
        payload.issues.push({
            code: "invalid_value",
            values,
            input,
            inst,
        });
        return payload;
    };
});
const $ZodLiteral = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodLiteral", (inst, def) => {
    $ZodType.init(inst, def);
    const values = new Set(def.values);
    inst._zod.values = values;
    util.defineLazyInternal(inst, "pattern", (zod) => {
        const vals = zod.def.values;
        // unmatchable fallback, RE2-safe: an empty alternation would compile to /^()$/, which matches ""
        return new RegExp(vals.length
            ? `^(${vals
                .map((o) => typeof o === "string" ? util.escapeRegex(o) : o ? util.escapeRegex(o.toString()) : String(o))
                .join("|")})$`
            : "^[^\\s\\S]$");
    });
    inst._zod.parse = (payload, _ctx) => {
        const input = payload.value;
        if (values.has(input)) {
            return payload;
        }
        payload.issues.push({
            code: "invalid_value",
            values: def.values,
            input,
            inst,
        });
        return payload;
    };
})));
const $ZodFile = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodFile", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.parse = (payload, _ctx) => {
        const input = payload.value;
        // @ts-ignore
        if (input instanceof File)
            return payload;
        payload.issues.push({
            expected: "file",
            code: "invalid_type",
            input,
            inst,
        });
        return payload;
    };
})));
const $ZodTransform = /*@__PURE__*/ $constructor("$ZodTransform", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.optin = "optional";
    core_globalConfig.memoizer?.guard(inst);
    inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
            throw new $ZodEncodeError(inst.constructor.name);
        }
        const _out = def.transform(payload.value, payload);
        if (ctx.async) {
            const output = _out instanceof Promise ? _out : Promise.resolve(_out);
            return output.then((output) => {
                payload.value = output;
                return payload;
            });
        }
        if (_out instanceof Promise) {
            throw new $ZodAsyncError();
        }
        payload.value = _out;
        return payload;
    };
});
function handleOptionalResult(payload, result) {
    // A substituting schema that still failed has no usable answer; yield undefined. Its issues are simply dropped: it ran on a payload of its own, so there is no shared array to truncate and nothing of the caller's to lose with it.
    payload.value = result.issues.length ? undefined : result.value;
    return payload;
}
const $ZodOptional = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodOptional", (inst, def) => {
    $ZodType.init(inst, def);
    // .optional() propagates absence rather than substituting for it, so a defaulted inner keeps its rung.
    util.defineLazyInternal(inst, "optin", (zod) => zod.def.innerType._zod.optin === "defaulted" ? "defaulted" : "optional");
    inst._zod.optout = "optional";
    util.defineLazyInternal(inst, "values", (zod) => {
        const values = zod.def.innerType._zod.values;
        return values ? new Set([...values, undefined]) : undefined;
    });
    util.defineLazyInternal(inst, "pattern", (zod) => {
        const pattern = zod.def.innerType._zod.pattern;
        return pattern ? new RegExp(`^(${util.cleanRegex(pattern.source)})?$`) : undefined;
    });
    inst._zod.parse = (payload, ctx) => {
        if (payload.value === undefined) {
            // Only the top rung substitutes a value for absence; everything else leaves it intact, which is what .optional() means.
            if (def.innerType._zod.optin !== "defaulted")
                return payload;
            // Its own payload, for the same reason $ZodCatch gets one: a pipe forwards an unrecognized key through the caller's issues array, and this must not read that as the substituting schema failing and drop it.
            const result = def.innerType._zod.run({ value: payload.value, issues: [] }, ctx);
            if (result instanceof Promise)
                return result.then((result) => handleOptionalResult(payload, result));
            return handleOptionalResult(payload, result);
        }
        return def.innerType._zod.run(payload, ctx);
    };
})));
const $ZodExactOptional = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodExactOptional", (inst, def) => {
    // Call parent init - inherits optin/optout = "optional"
    $ZodOptional.init(inst, def);
    // Override values/pattern to NOT add undefined
    util.defineLazyInternal(inst, "values", (zod) => zod.def.innerType._zod.values);
    util.defineLazyInternal(inst, "pattern", (zod) => zod.def.innerType._zod.pattern);
    // Override parse to just delegate (no undefined handling)
    inst._zod.parse = (payload, ctx) => {
        return def.innerType._zod.run(payload, ctx);
    };
})));
const $ZodNullable = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodNullable", (inst, def) => {
    $ZodType.init(inst, def);
    util.defineLazyInternal(inst, "optin", (zod) => zod.def.innerType._zod.optin);
    util.defineLazyInternal(inst, "optout", (zod) => zod.def.innerType._zod.optout);
    util.defineLazyInternal(inst, "pattern", (zod) => {
        const pattern = zod.def.innerType._zod.pattern;
        return pattern ? new RegExp(`^(${util.cleanRegex(pattern.source)}|null)$`) : undefined;
    });
    util.defineLazyInternal(inst, "values", (zod) => {
        return zod.def.innerType._zod.values ? new Set([...zod.def.innerType._zod.values, null]) : undefined;
    });
    inst._zod.parse = (payload, ctx) => {
        // Forward direction (decode): allow null to pass through
        if (payload.value === null)
            return payload;
        return def.innerType._zod.run(payload, ctx);
    };
})));
const $ZodDefault = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodDefault", (inst, def) => {
    $ZodType.init(inst, def);
    // inst._zod.qin = "true";
    inst._zod.optin = "defaulted";
    util.defineLazyInternal(inst, "values", (zod) => zod.def.innerType._zod.values);
    inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
            return def.innerType._zod.run(payload, ctx);
        }
        // Forward direction (decode): apply defaults for undefined input
        if (payload.value === undefined) {
            payload.value = def.defaultValue;
            /**
             * $ZodDefault returns the default value immediately in forward direction.
             * It doesn't pass the default value into the validator ("prefault"). There's no reason to pass the default value through validation. The validity of the default is enforced by TypeScript statically. Otherwise, it's the responsibility of the user to ensure the default is valid. In the case of pipes with divergent in/out types, you can specify the default on the `in` schema of your ZodPipe to set a "prefault" for the pipe.   */
            return payload;
        }
        // Forward direction: continue with default handling
        const result = def.innerType._zod.run(payload, ctx);
        if (result instanceof Promise) {
            return result.then((result) => handleDefaultResult(result, def));
        }
        return handleDefaultResult(result, def);
    };
})));
function handleDefaultResult(payload, def) {
    if (payload.value === undefined) {
        payload.value = def.defaultValue;
    }
    return payload;
}
const $ZodPrefault = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodPrefault", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.optin = "defaulted";
    util.defineLazyInternal(inst, "values", (zod) => zod.def.innerType._zod.values);
    inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
            return def.innerType._zod.run(payload, ctx);
        }
        // Forward direction (decode): apply prefault for undefined input
        if (payload.value === undefined) {
            payload.value = def.defaultValue;
        }
        return def.innerType._zod.run(payload, ctx);
    };
})));
const $ZodNonOptional = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodNonOptional", (inst, def) => {
    $ZodType.init(inst, def);
    util.defineLazyInternal(inst, "values", (zod) => {
        const v = zod.def.innerType._zod.values;
        return v ? new Set([...v].filter((x) => x !== undefined)) : undefined;
    });
    inst._zod.parse = (payload, ctx) => {
        const result = def.innerType._zod.run(payload, ctx);
        if (result instanceof Promise) {
            return result.then((result) => handleNonOptionalResult(result, inst));
        }
        return handleNonOptionalResult(result, inst);
    };
})));
function handleNonOptionalResult(payload, inst) {
    if (!payload.issues.length && payload.value === undefined) {
        payload.issues.push({
            code: "invalid_type",
            expected: "nonoptional",
            input: payload.value,
            inst,
        });
    }
    return payload;
}
const $ZodSuccess = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodSuccess", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
            throw new core.$ZodEncodeError("ZodSuccess");
        }
        const result = def.innerType._zod.run(payload, ctx);
        if (result instanceof Promise) {
            return result.then((result) => {
                payload.value = result.issues.length === 0;
                return payload;
            });
        }
        payload.value = result.issues.length === 0;
        return payload;
    };
})));
function handleCatchResult(payload, result, def, ctx) {
    if (!result.issues.length) {
        payload.value = result.value;
        // The value carries up, so the flag describing it has to carry with it: a back-edge into a node still being parsed must not be frozen by an enclosing readonly, and its checks belong to the node itself. Guarded so the ordinary case adds no own property.
        if (result.memo)
            payload.memo = true;
        return payload;
    }
    // Spread the inner's own payload, not ours: `value` has to stay the input the catch was handed, and the inner ran on a payload of its own so its issues are already private to this call.
    payload.value = def.catchValue({
        ...result,
        value: payload.value,
        error: {
            issues: result.issues.map((iss) => util.finalizeIssue(iss, ctx, core.config())),
        },
        input: payload.value,
    });
    return payload;
}
const $ZodCatch = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCatch", (inst, def) => {
    $ZodType.init(inst, def);
    util.defineLazyInternal(inst, "optin", (zod) => zod.def.innerType._zod.optin === "defaulted" ? "defaulted" : "optional");
    util.defineLazyInternal(inst, "optout", (zod) => zod.def.innerType._zod.optout);
    util.defineLazyInternal(inst, "values", (zod) => zod.def.innerType._zod.values);
    inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
            return def.innerType._zod.run(payload, ctx);
        }
        // Forward direction (decode): apply catch logic
        const result = def.innerType._zod.run({ value: payload.value, issues: [] }, ctx);
        if (result instanceof Promise) {
            return result.then((result) => handleCatchResult(payload, result, def, ctx));
        }
        return handleCatchResult(payload, result, def, ctx);
    };
})));
const $ZodNaN = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodNaN", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.parse = (payload, _ctx) => {
        if (typeof payload.value !== "number" || !Number.isNaN(payload.value)) {
            payload.issues.push({
                input: payload.value,
                inst,
                expected: "nan",
                code: "invalid_type",
            });
            return payload;
        }
        return payload;
    };
})));
const $ZodPipe = /*@__PURE__*/ $constructor("$ZodPipe", (inst, def) => {
    $ZodType.init(inst, def);
    defineLazyInternal(inst, "values", (zod) => zod.def.in._zod.values);
    defineLazyInternal(inst, "optin", (zod) => zod.def.in._zod.optin);
    defineLazyInternal(inst, "optout", (zod) => zod.def.out._zod.optout);
    defineLazyInternal(inst, "propValues", (zod) => zod.def.in._zod.propValues);
    inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
            const right = def.out._zod.run(payload, ctx);
            if (right instanceof Promise) {
                return right.then((right) => handlePipeResult(right, def.in, ctx));
            }
            return handlePipeResult(right, def.in, ctx);
        }
        const left = def.in._zod.run(payload, ctx);
        if (left instanceof Promise) {
            return left.then((left) => handlePipeResult(left, def.out, ctx));
        }
        return handlePipeResult(left, def.out, ctx);
    };
});
function handlePipeResult(left, next, ctx) {
    // Any issue stops the pipe, so a failing refinement never feeds its transform. An unrecognized key is the exception: it describes the input's extra properties, not the value being piped, and an enclosing intersection may yet reconcile it.
    if (left.issues.some((iss) => iss.code !== "unrecognized_keys")) {
        // prevent further checks
        left.aborted = true;
        return left;
    }
    return next._zod.run({ value: left.value, issues: left.issues }, ctx);
}
const $ZodCodec = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodCodec", (inst, def) => {
    $ZodType.init(inst, def);
    util.defineLazyInternal(inst, "values", (zod) => zod.def.in._zod.values);
    util.defineLazyInternal(inst, "optin", (zod) => zod.def.in._zod.optin);
    util.defineLazyInternal(inst, "optout", (zod) => zod.def.out._zod.optout);
    util.defineLazyInternal(inst, "propValues", (zod) => zod.def.in._zod.propValues);
    inst._zod.parse = (payload, ctx) => {
        const direction = ctx.direction || "forward";
        if (direction === "forward") {
            const left = def.in._zod.run(payload, ctx);
            if (left instanceof Promise) {
                return left.then((left) => handleCodecAResult(left, def, ctx));
            }
            return handleCodecAResult(left, def, ctx);
        }
        else {
            const right = def.out._zod.run(payload, ctx);
            if (right instanceof Promise) {
                return right.then((right) => handleCodecAResult(right, def, ctx));
            }
            return handleCodecAResult(right, def, ctx);
        }
    };
})));
function handleCodecAResult(result, def, ctx) {
    if (result.issues.length) {
        // prevent further checks
        result.aborted = true;
        return result;
    }
    const direction = ctx.direction || "forward";
    if (direction === "forward") {
        const transformed = def.transform(result.value, result);
        if (transformed instanceof Promise) {
            return transformed.then((value) => handleCodecTxResult(result, value, def.out, ctx));
        }
        return handleCodecTxResult(result, transformed, def.out, ctx);
    }
    else {
        const transformed = def.reverseTransform(result.value, result);
        if (transformed instanceof Promise) {
            return transformed.then((value) => handleCodecTxResult(result, value, def.in, ctx));
        }
        return handleCodecTxResult(result, transformed, def.in, ctx);
    }
}
function handleCodecTxResult(left, value, nextSchema, ctx) {
    // Check if transform added any issues
    if (left.issues.length) {
        left.aborted = true;
        return left;
    }
    return nextSchema._zod.run({ value, issues: left.issues }, ctx);
}
const $ZodPreprocess = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodPreprocess", (inst, def) => {
    $ZodPipe.init(inst, def);
})));
const $ZodReadonly = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodReadonly", (inst, def) => {
    $ZodType.init(inst, def);
    util.defineLazyInternal(inst, "propValues", (zod) => zod.def.innerType._zod.propValues);
    util.defineLazyInternal(inst, "values", (zod) => zod.def.innerType._zod.values);
    util.defineLazyInternal(inst, "optin", (zod) => zod.def.innerType?._zod?.optin);
    util.defineLazyInternal(inst, "optout", (zod) => zod.def.innerType?._zod?.optout);
    inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
            return def.innerType._zod.run(payload, ctx);
        }
        const result = def.innerType._zod.run(payload, ctx);
        if (result instanceof Promise) {
            return result.then(handleReadonlyResult);
        }
        return handleReadonlyResult(result);
    };
})));
function handleReadonlyResult(payload) {
    // A repeat visit hands back a node that is still being built; freezing it here would make the rest of its keys fail to assign.
    if (!payload.memo)
        payload.value = Object.freeze(payload.value);
    return payload;
}
// a leaf's pattern source with its own checks folded in: the last pattern-carrying check wins, else length bounds narrow the catch-all, else an integer format narrows the number form. the fold lives here instead of on `_zod.pattern` so a bundle without template literals never pays for it
function leafPattern(schema) {
    const def = schema._zod.def;
    let pattern = def.pattern;
    let isInt = !!def.format?.includes("int");
    let minimum;
    let maximum;
    for (const ch of def.checks ?? []) {
        const d = ch._zod.def;
        if (d.pattern)
            pattern = d.pattern;
        isInt || (isInt = !!d.format?.includes("int"));
        const lo = d.minimum ?? d.length;
        const hi = d.maximum ?? d.length;
        if (lo !== undefined && (minimum === undefined || lo > minimum))
            minimum = lo;
        if (hi !== undefined && (maximum === undefined || hi < maximum))
            maximum = hi;
    }
    if (pattern)
        return pattern.source;
    // an empty range matches nothing at runtime, and `{8,5}` is not a legal quantifier
    if (minimum !== undefined && maximum !== undefined && minimum > maximum)
        return "(?!)";
    if (minimum !== undefined || maximum !== undefined)
        return regexes.string({ minimum, maximum }).source;
    const own = schema._zod.pattern;
    return (isInt && own === regexes.number ? regexes.integer : own)?.source;
}
// a part's pattern source. a wrapper's pattern embeds its inner pattern's source verbatim, so the folded form is substituted in place without knowing the wrapper's own composition; a union's options are joined the way the union builds its own pattern
function partPattern(schema) {
    const def = schema._zod.def;
    const own = schema._zod.pattern?.source;
    // lazy resolves its inner on the internals, not the def
    const inner = def.innerType ?? schema._zod.innerType;
    if (inner) {
        const before = inner._zod.pattern?.source;
        const after = partPattern(inner);
        if (own && before && after && after !== before) {
            return own.replace(util.cleanRegex(before), () => util.cleanRegex(after));
        }
        return own;
    }
    if (def.options) {
        const sources = def.options.map(partPattern);
        if (sources.every(Boolean))
            return `^(${sources.map((s) => util.cleanRegex(s)).join("|")})$`;
    }
    return leafPattern(schema);
}
const $ZodTemplateLiteral = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodTemplateLiteral", (inst, def) => {
    $ZodType.init(inst, def);
    const regexParts = [];
    for (const part of def.parts) {
        if (typeof part === "object" && part !== null) {
            // is Zod schema
            const source = partPattern(part);
            if (!source) {
                throw new Error(`Invalid template literal part, no pattern found: ${[...part._zod.traits].shift()}`);
            }
            regexParts.push(util.cleanRegex(source));
        }
        else if (part === null || util.primitiveTypes.has(typeof part)) {
            regexParts.push(util.escapeRegex(`${part}`));
        }
        else {
            throw new Error(`Invalid template literal part: ${part}`);
        }
    }
    inst._zod.pattern = new RegExp(`^${regexParts.join("")}$`);
    inst._zod.parse = (payload, _ctx) => {
        if (typeof payload.value !== "string") {
            payload.issues.push({
                input: payload.value,
                inst,
                expected: "string",
                code: "invalid_type",
            });
            return payload;
        }
        inst._zod.pattern.lastIndex = 0;
        if (!inst._zod.pattern.test(payload.value)) {
            payload.issues.push({
                input: payload.value,
                inst,
                code: "invalid_format",
                format: def.format ?? "template_literal",
                pattern: inst._zod.pattern.source,
            });
            return payload;
        }
        return payload;
    };
})));
const $ZodFunction = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodFunction", (inst, def) => {
    $ZodType.init(inst, def);
    // Defined, not assigned: the classic prototype exposes `_def` as a getter with no setter.
    Object.defineProperty(inst, "_def", { value: def });
    inst._zod.def = def;
    inst.implement = (func) => {
        if (typeof func !== "function") {
            throw new Error("implement() must be called with a function");
        }
        // Defined inline so the closure stays anonymous: binding it to a `const` first names it, which costs 256 bytes per implemented function.
        return Object.defineProperty(function (...args) {
            const parsedArgs = inst._def.input ? parse(inst._def.input, args) : args;
            const result = Reflect.apply(func, this, parsedArgs);
            if (inst._def.output) {
                return parse(inst._def.output, result);
            }
            return result;
        }, "_zod", { value: inst._zod, enumerable: false });
    };
    inst.implementAsync = (func) => {
        if (typeof func !== "function") {
            throw new Error("implementAsync() must be called with a function");
        }
        return Object.defineProperty(async function (...args) {
            const parsedArgs = inst._def.input ? await parseAsync(inst._def.input, args) : args;
            const result = await Reflect.apply(func, this, parsedArgs);
            if (inst._def.output) {
                return await parseAsync(inst._def.output, result);
            }
            return result;
        }, "_zod", { value: inst._zod, enumerable: false });
    };
    inst._zod.parse = (payload, _ctx) => {
        if (typeof payload.value !== "function") {
            payload.issues.push({
                code: "invalid_type",
                expected: "function",
                input: payload.value,
                inst,
            });
            return payload;
        }
        // Check if output is a promise type to determine if we should use async implementation
        const hasPromiseOutput = inst._def.output && inst._def.output._zod.def.type === "promise";
        if (hasPromiseOutput) {
            payload.value = inst.implementAsync(payload.value);
        }
        else {
            payload.value = inst.implement(payload.value);
        }
        return payload;
    };
    inst.input = (...args) => {
        const F = inst.constructor;
        if (Array.isArray(args[0])) {
            return new F({
                type: "function",
                input: new $ZodTuple({
                    type: "tuple",
                    items: args[0],
                    rest: args[1],
                }),
                output: inst._def.output,
            });
        }
        return new F({
            type: "function",
            input: args[0],
            output: inst._def.output,
        });
    };
    inst.output = (output) => {
        const F = inst.constructor;
        return new F({
            type: "function",
            input: inst._def.input,
            output,
        });
    };
    return inst;
})));
const $ZodPromise = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodPromise", (inst, def) => {
    $ZodType.init(inst, def);
    inst._zod.parse = (payload, ctx) => {
        return Promise.resolve(payload.value).then((inner) => def.innerType._zod.run({ value: inner, issues: [] }, ctx));
    };
})));
const $ZodLazy = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("$ZodLazy", (inst, def) => {
    $ZodType.init(inst, def);
    // Cache the resolved inner type on the shared `def` so all clones of this lazy (e.g. via `.describe()`/`.meta()`) share the same inner instance, preserving identity for cycle detection on recursive schemas.
    util.defineLazy(inst._zod, "innerType", () => {
        const d = def;
        if (!d._cachedInner)
            d._cachedInner = def.getter();
        return d._cachedInner;
    });
    util.defineLazyInternal(inst, "pattern", (zod) => zod.innerType?._zod?.pattern);
    util.defineLazyInternal(inst, "propValues", (zod) => zod.innerType?._zod?.propValues);
    util.defineLazyInternal(inst, "optin", (zod) => zod.innerType?._zod?.optin ?? undefined);
    util.defineLazyInternal(inst, "optout", (zod) => zod.innerType?._zod?.optout ?? undefined);
    inst._zod.parse = (payload, ctx) => {
        const inner = inst._zod.innerType;
        return inner._zod.run(payload, ctx);
    };
})));
const $ZodCustom = /*@__PURE__*/ $constructor("$ZodCustom", (inst, def) => {
    $ZodCheck.init(inst, def);
    $ZodType.init(inst, def);
    inst._zod.parse = (payload, _) => {
        return payload;
    };
    inst._zod.check = (payload) => {
        const input = payload.value;
        const r = def.fn(input);
        if (r instanceof Promise) {
            return r.then((r) => handleRefineResult(r, payload, input, inst));
        }
        handleRefineResult(r, payload, input, inst);
        return;
    };
});
function handleRefineResult(result, payload, input, inst) {
    if (!result) {
        const _iss = {
            code: "custom",
            input,
            inst, // incorporates params.error into issue reporting
            path: [...(inst._zod.def.path ?? [])], // incorporates params.error into issue reporting
            continue: !inst._zod.def.abort,
            // params: inst._zod.def.params,
        };
        if (inst._zod.def.params)
            _iss.params = inst._zod.def.params;
        payload.issues.push(issue(_iss));
    }
}

;// CONCATENATED MODULE: ./node_modules/zod/v4/core/registries.js
var registries_a;
const $output = /*@__PURE__*/ (/* unused pure expression or super */ null && (Symbol("ZodOutput")));
const $input = /*@__PURE__*/ (/* unused pure expression or super */ null && (Symbol("ZodInput")));
class $ZodRegistry {
    constructor() {
        this._map = new WeakMap();
        this._idmap = new Map();
    }
    add(schema, ..._meta) {
        const meta = _meta[0];
        this._map.set(schema, meta);
        if (meta && typeof meta === "object" && "id" in meta) {
            this._idmap.set(meta.id, schema);
        }
        return this;
    }
    clear() {
        this._map = new WeakMap();
        this._idmap = new Map();
        return this;
    }
    remove(schema) {
        const meta = this._map.get(schema);
        if (meta && typeof meta === "object" && "id" in meta) {
            this._idmap.delete(meta.id);
        }
        this._map.delete(schema);
        return this;
    }
    get(schema) {
        // return this._map.get(schema) as any;
        // inherit metadata
        const p = schema._zod.parent;
        if (p) {
            const pm = { ...(this.get(p) ?? {}) };
            delete pm.id; // do not inherit id
            const f = { ...pm, ...this._map.get(schema) };
            return Object.keys(f).length ? f : undefined;
        }
        return this._map.get(schema);
    }
    has(schema) {
        return this._map.has(schema);
    }
}
// registries
function registry() {
    return new $ZodRegistry();
}
(registries_a = globalThis).__zod_globalRegistry ?? (registries_a.__zod_globalRegistry = registry());
const globalRegistry = globalThis.__zod_globalRegistry;

;// CONCATENATED MODULE: ./node_modules/zod/v4/core/api.js




function snapshotChecks(def) {
    if (def.checks)
        def.checks = [...def.checks];
    return def;
}
// @__NO_SIDE_EFFECTS__
function _string(Class, params) {
    return new Class(snapshotChecks({ type: "string", ...normalizeParams(params) }));
}
// @__NO_SIDE_EFFECTS__
function _coercedString(Class, params) {
    return new Class(snapshotChecks({ type: "string", coerce: true, ...util.normalizeParams(params) }));
}
// @__NO_SIDE_EFFECTS__
function _email(Class, params) {
    return new Class({
        type: "string",
        format: "email",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _guid(Class, params) {
    return new Class({
        type: "string",
        format: "guid",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _uuid(Class, params) {
    return new Class({
        type: "string",
        format: "uuid",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _uuidv4(Class, params) {
    return new Class({
        type: "string",
        format: "uuid",
        check: "string_format",
        abort: false,
        version: "v4",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _uuidv6(Class, params) {
    return new Class({
        type: "string",
        format: "uuid",
        check: "string_format",
        abort: false,
        version: "v6",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _uuidv7(Class, params) {
    return new Class({
        type: "string",
        format: "uuid",
        check: "string_format",
        abort: false,
        version: "v7",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _url(Class, params) {
    return new Class({
        type: "string",
        format: "url",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function api_emoji(Class, params) {
    return new Class({
        type: "string",
        format: "emoji",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _nanoid(Class, params) {
    return new Class({
        type: "string",
        format: "nanoid",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
/**
 * @deprecated CUID v1 is deprecated by its authors due to information leakage
 * (timestamps embedded in the id). Use {@link _cuid2} instead.
 * See https://github.com/paralleldrive/cuid.
 */
// @__NO_SIDE_EFFECTS__
function _cuid(Class, params) {
    return new Class({
        type: "string",
        format: "cuid",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _cuid2(Class, params) {
    return new Class({
        type: "string",
        format: "cuid2",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _ulid(Class, params) {
    return new Class({
        type: "string",
        format: "ulid",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _xid(Class, params) {
    return new Class({
        type: "string",
        format: "xid",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _ksuid(Class, params) {
    return new Class({
        type: "string",
        format: "ksuid",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _ipv4(Class, params) {
    return new Class({
        type: "string",
        format: "ipv4",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _ipv6(Class, params) {
    return new Class({
        type: "string",
        format: "ipv6",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _mac(Class, params) {
    return new Class({
        type: "string",
        format: "mac",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _cidrv4(Class, params) {
    return new Class({
        type: "string",
        format: "cidrv4",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _cidrv6(Class, params) {
    return new Class({
        type: "string",
        format: "cidrv6",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _base64(Class, params) {
    return new Class({
        type: "string",
        format: "base64",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _base64url(Class, params) {
    return new Class({
        type: "string",
        format: "base64url",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _e164(Class, params) {
    return new Class({
        type: "string",
        format: "e164",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _creditCard(Class, params) {
    return new Class({
        type: "string",
        format: "credit_card",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _iban(Class, params) {
    return new Class({
        type: "string",
        format: "iban",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _jwt(Class, params) {
    return new Class({
        type: "string",
        format: "jwt",
        check: "string_format",
        abort: false,
        ...util.normalizeParams(params),
    });
}
const TimePrecision = {
    Any: null,
    Minute: -1,
    Second: 0,
    Millisecond: 3,
    Microsecond: 6,
};
// @__NO_SIDE_EFFECTS__
function _isoDateTime(Class, params) {
    return new Class({
        type: "string",
        format: "datetime",
        check: "string_format",
        offset: false,
        local: false,
        precision: null,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _isoDate(Class, params) {
    return new Class({
        type: "string",
        format: "date",
        check: "string_format",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _isoTime(Class, params) {
    return new Class({
        type: "string",
        format: "time",
        check: "string_format",
        precision: null,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _isoDuration(Class, params) {
    return new Class({
        type: "string",
        format: "duration",
        check: "string_format",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _number(Class, params) {
    return new Class(snapshotChecks({ type: "number", checks: [], ...normalizeParams(params) }));
}
// @__NO_SIDE_EFFECTS__
function _coercedNumber(Class, params) {
    return new Class(snapshotChecks({ type: "number", coerce: true, checks: [], ...util.normalizeParams(params) }));
}
// @__NO_SIDE_EFFECTS__
function _int(Class, params) {
    return new Class({
        type: "number",
        check: "number_format",
        abort: false,
        format: "safeint",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _float32(Class, params) {
    return new Class({
        type: "number",
        check: "number_format",
        abort: false,
        format: "float32",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _float64(Class, params) {
    return new Class({
        type: "number",
        check: "number_format",
        abort: false,
        format: "float64",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _int32(Class, params) {
    return new Class({
        type: "number",
        check: "number_format",
        abort: false,
        format: "int32",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _uint32(Class, params) {
    return new Class({
        type: "number",
        check: "number_format",
        abort: false,
        format: "uint32",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _boolean(Class, params) {
    return new Class({
        type: "boolean",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _coercedBoolean(Class, params) {
    return new Class({
        type: "boolean",
        coerce: true,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _bigint(Class, params) {
    return new Class({
        type: "bigint",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _coercedBigint(Class, params) {
    return new Class({
        type: "bigint",
        coerce: true,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _int64(Class, params) {
    return new Class({
        type: "bigint",
        check: "bigint_format",
        abort: false,
        format: "int64",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _uint64(Class, params) {
    return new Class({
        type: "bigint",
        check: "bigint_format",
        abort: false,
        format: "uint64",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _symbol(Class, params) {
    return new Class({
        type: "symbol",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function api_undefined(Class, params) {
    return new Class({
        type: "undefined",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function api_null(Class, params) {
    return new Class({
        type: "null",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _any(Class) {
    return new Class({
        type: "any",
    });
}
// @__NO_SIDE_EFFECTS__
function _unknown(Class) {
    return new Class({
        type: "unknown",
    });
}
// @__NO_SIDE_EFFECTS__
function _never(Class, params) {
    return new Class({
        type: "never",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _void(Class, params) {
    return new Class({
        type: "void",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _date(Class, params) {
    return new Class({
        type: "date",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _coercedDate(Class, params) {
    return new Class({
        type: "date",
        coerce: true,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _nan(Class, params) {
    return new Class({
        type: "nan",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _lt(value, params) {
    return new checks.$ZodCheckLessThan({
        check: "less_than",
        ...util.normalizeParams(params),
        value,
        inclusive: false,
    });
}
// @__NO_SIDE_EFFECTS__
function _lte(value, params) {
    return new $ZodCheckLessThan({
        check: "less_than",
        ...normalizeParams(params),
        value,
        inclusive: true,
    });
}

// @__NO_SIDE_EFFECTS__
function _gt(value, params) {
    return new checks.$ZodCheckGreaterThan({
        check: "greater_than",
        ...util.normalizeParams(params),
        value,
        inclusive: false,
    });
}
// @__NO_SIDE_EFFECTS__
function _gte(value, params) {
    return new checks.$ZodCheckGreaterThan({
        check: "greater_than",
        ...util.normalizeParams(params),
        value,
        inclusive: true,
    });
}

// @__NO_SIDE_EFFECTS__
function _positive(params) {
    return _gt(0, params);
}
// negative
// @__NO_SIDE_EFFECTS__
function _negative(params) {
    return _lt(0, params);
}
// nonpositive
// @__NO_SIDE_EFFECTS__
function _nonpositive(params) {
    return _lte(0, params);
}
// nonnegative
// @__NO_SIDE_EFFECTS__
function _nonnegative(params) {
    return _gte(0, params);
}
// @__NO_SIDE_EFFECTS__
function _multipleOf(value, params) {
    return new checks.$ZodCheckMultipleOf({
        check: "multiple_of",
        ...util.normalizeParams(params),
        value,
    });
}
// @__NO_SIDE_EFFECTS__
function _maxSize(maximum, params) {
    return new checks.$ZodCheckMaxSize({
        check: "max_size",
        ...util.normalizeParams(params),
        maximum,
    });
}
// @__NO_SIDE_EFFECTS__
function _minSize(minimum, params) {
    return new checks.$ZodCheckMinSize({
        check: "min_size",
        ...util.normalizeParams(params),
        minimum,
    });
}
// @__NO_SIDE_EFFECTS__
function _size(size, params) {
    return new checks.$ZodCheckSizeEquals({
        check: "size_equals",
        ...util.normalizeParams(params),
        size,
    });
}
// @__NO_SIDE_EFFECTS__
function _maxLength(maximum, params) {
    const ch = new checks.$ZodCheckMaxLength({
        check: "max_length",
        ...util.normalizeParams(params),
        maximum,
    });
    return ch;
}
// @__NO_SIDE_EFFECTS__
function _minLength(minimum, params) {
    return new checks.$ZodCheckMinLength({
        check: "min_length",
        ...util.normalizeParams(params),
        minimum,
    });
}
// @__NO_SIDE_EFFECTS__
function _length(length, params) {
    return new checks.$ZodCheckLengthEquals({
        check: "length_equals",
        ...util.normalizeParams(params),
        length,
    });
}
// @__NO_SIDE_EFFECTS__
function _regex(pattern, params) {
    return new $ZodCheckRegex({
        check: "string_format",
        format: "regex",
        ...normalizeParams(params),
        pattern,
    });
}
// @__NO_SIDE_EFFECTS__
function _lowercase(params) {
    return new checks.$ZodCheckLowerCase({
        check: "string_format",
        format: "lowercase",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _uppercase(params) {
    return new checks.$ZodCheckUpperCase({
        check: "string_format",
        format: "uppercase",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _includes(includes, params) {
    return new checks.$ZodCheckIncludes({
        check: "string_format",
        format: "includes",
        ...util.normalizeParams(params),
        includes,
    });
}
// @__NO_SIDE_EFFECTS__
function _startsWith(prefix, params) {
    return new checks.$ZodCheckStartsWith({
        check: "string_format",
        format: "starts_with",
        ...util.normalizeParams(params),
        prefix,
    });
}
// @__NO_SIDE_EFFECTS__
function _endsWith(suffix, params) {
    return new checks.$ZodCheckEndsWith({
        check: "string_format",
        format: "ends_with",
        ...util.normalizeParams(params),
        suffix,
    });
}
// @__NO_SIDE_EFFECTS__
function _property(property, schema, params) {
    return new checks.$ZodCheckProperty({
        check: "property",
        property,
        schema,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _properties(shape, params) {
    return new checks.$ZodCheckProperties({
        check: "properties",
        shape,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _mime(types, params) {
    return new checks.$ZodCheckMimeType({
        check: "mime_type",
        mime: types,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _overwrite(tx) {
    return new $ZodCheckOverwrite({
        check: "overwrite",
        tx,
    });
}
// normalize
// @__NO_SIDE_EFFECTS__
function _normalize(form) {
    return _overwrite((input) => input.normalize(form));
}
// trim
// @__NO_SIDE_EFFECTS__
function _trim() {
    return _overwrite((input) => input.trim());
}
// toLowerCase
// @__NO_SIDE_EFFECTS__
function _toLowerCase() {
    return _overwrite((input) => input.toLowerCase());
}
// toUpperCase
// @__NO_SIDE_EFFECTS__
function _toUpperCase() {
    return _overwrite((input) => input.toUpperCase());
}
// slugify
// @__NO_SIDE_EFFECTS__
function _slugify() {
    return _overwrite((input) => util.slugify(input));
}
// @__NO_SIDE_EFFECTS__
function _array(Class, element, params) {
    return new Class({
        type: "array",
        element,
        // get element() {
        //   return element;
        // },
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _union(Class, options, params) {
    return new Class({
        type: "union",
        options,
        ...util.normalizeParams(params),
    });
}
function _xor(Class, options, params) {
    return new Class({
        type: "union",
        options,
        inclusive: false,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _discriminatedUnion(Class, discriminator, options, params) {
    return new Class({
        type: "union",
        options: options,
        discriminator,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _intersection(Class, left, right) {
    return new Class({
        type: "intersection",
        left,
        right,
    });
}
// export function _tuple(
//   Class: util.SchemaClass<schemas.$ZodTuple>,
//   items: [],
//   params?: string | $ZodTupleParams
// ): schemas.$ZodTuple<[], null>;
// @__NO_SIDE_EFFECTS__
function _tuple(Class, items, _paramsOrRest, _params) {
    const hasRest = _paramsOrRest instanceof schemas.$ZodType;
    const params = hasRest ? _params : _paramsOrRest;
    const rest = hasRest ? _paramsOrRest : null;
    return new Class({
        type: "tuple",
        items,
        rest,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _record(Class, keyType, valueType, params) {
    return new Class({
        type: "record",
        keyType,
        valueType,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _map(Class, keyType, valueType, params) {
    return new Class({
        type: "map",
        keyType,
        valueType,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _set(Class, valueType, params) {
    return new Class({
        type: "set",
        valueType,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _enum(Class, values, params) {
    const entries = Array.isArray(values) ? Object.fromEntries(values.map((v) => [v, v])) : values;
    // if (Array.isArray(values)) {
    //   for (const value of values) {
    //     entries[value] = value;
    //   }
    // } else {
    //   Object.assign(entries, values);
    // }
    // const entries: util.EnumLike = {};
    // for (const val of values) {
    //   entries[val] = val;
    // }
    return new Class({
        type: "enum",
        entries,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
/** @deprecated This API has been merged into `z.enum()`. Use `z.enum()` instead.
 *
 * ```ts
 * enum Colors { red, green, blue }
 * z.enum(Colors);
 * ```
 */
function _nativeEnum(Class, entries, params) {
    return new Class({
        type: "enum",
        entries,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _literal(Class, value, params) {
    return new Class({
        type: "literal",
        values: Array.isArray(value) ? value : [value],
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _file(Class, params) {
    return new Class({
        type: "file",
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _transform(Class, fn) {
    return new Class({
        type: "transform",
        transform: fn,
    });
}
// @__NO_SIDE_EFFECTS__
function _optional(Class, innerType) {
    return new Class({
        type: "optional",
        innerType,
    });
}
// @__NO_SIDE_EFFECTS__
function _nullable(Class, innerType) {
    return new Class({
        type: "nullable",
        innerType,
    });
}
// @__NO_SIDE_EFFECTS__
function _default(Class, innerType, defaultValue) {
    return new Class({
        type: "default",
        innerType,
        get defaultValue() {
            return typeof defaultValue === "function" ? defaultValue() : util.shallowClone(defaultValue);
        },
    });
}
// @__NO_SIDE_EFFECTS__
function _nonoptional(Class, innerType, params) {
    return new Class({
        type: "nonoptional",
        innerType,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _success(Class, innerType) {
    return new Class({
        type: "success",
        innerType,
    });
}
// @__NO_SIDE_EFFECTS__
function _catch(Class, innerType, catchValue) {
    return new Class({
        type: "catch",
        innerType,
        catchValue: (typeof catchValue === "function" ? catchValue : util.constantCatch(catchValue)),
    });
}
// @__NO_SIDE_EFFECTS__
function _pipe(Class, in_, out) {
    return new Class({
        type: "pipe",
        in: in_,
        out,
    });
}
// @__NO_SIDE_EFFECTS__
function _readonly(Class, innerType) {
    return new Class({
        type: "readonly",
        innerType,
    });
}
// @__NO_SIDE_EFFECTS__
function _templateLiteral(Class, parts, params) {
    return new Class({
        type: "template_literal",
        parts,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function _lazy(Class, getter) {
    return new Class({
        type: "lazy",
        getter,
    });
}
// @__NO_SIDE_EFFECTS__
function _promise(Class, innerType) {
    return new Class({
        type: "promise",
        innerType,
    });
}
// @__NO_SIDE_EFFECTS__
function _custom(Class, fn, _params) {
    const norm = util.normalizeParams(_params);
    norm.abort ?? (norm.abort = true); // default to abort:false
    const schema = new Class({
        type: "custom",
        check: "custom",
        fn: fn,
        ...norm,
    });
    return schema;
}
// same as _custom but defaults to abort:false
// @__NO_SIDE_EFFECTS__
function _refine(Class, fn, _params) {
    const schema = new Class({
        type: "custom",
        check: "custom",
        fn: fn,
        ...normalizeParams(_params),
    });
    return schema;
}
// @__NO_SIDE_EFFECTS__
function _superRefine(fn, params) {
    const ch = _check((payload) => {
        payload.addIssue = (issue) => {
            if (typeof issue === "string") {
                payload.issues.push(util.issue(issue, payload.value, ch._zod.def));
            }
            else {
                // for Zod 3 backwards compatibility
                const _issue = issue;
                if (_issue.fatal)
                    _issue.continue = false;
                _issue.code ?? (_issue.code = "custom");
                if (!("input" in _issue))
                    _issue.input = payload.value;
                _issue.inst ?? (_issue.inst = ch);
                _issue.continue ?? (_issue.continue = !ch._zod.def.abort); // abort is always undefined, so this is always true...
                payload.issues.push(util.issue(_issue));
            }
        };
        return fn(payload.value, payload);
    }, params);
    return ch;
}
// @__NO_SIDE_EFFECTS__
function _check(fn, params) {
    const ch = new checks.$ZodCheck({
        check: "custom",
        ...util.normalizeParams(params),
    });
    ch._zod.check = fn;
    return ch;
}
// @__NO_SIDE_EFFECTS__
function describe(description) {
    const ch = new $ZodCheck({ check: "describe" });
    ch._zod.onattach = [
        (inst) => {
            const existing = globalRegistry.get(inst) ?? {};
            globalRegistry.add(inst, { ...existing, description });
        },
    ];
    ch._zod.check = () => { }; // no-op check
    return ch;
}
// @__NO_SIDE_EFFECTS__
function meta(metadata) {
    const ch = new $ZodCheck({ check: "meta" });
    ch._zod.onattach = [
        (inst) => {
            const existing = globalRegistry.get(inst) ?? {};
            globalRegistry.add(inst, { ...existing, ...metadata });
        },
    ];
    ch._zod.check = () => { }; // no-op check
    return ch;
}
// @__NO_SIDE_EFFECTS__
function _stringbool(Classes, _params) {
    const params = util.normalizeParams(_params);
    let truthyArray = params.truthy ?? ["true", "1", "yes", "on", "y", "enabled"];
    let falsyArray = params.falsy ?? ["false", "0", "no", "off", "n", "disabled"];
    if (params.case !== "sensitive") {
        truthyArray = truthyArray.map((v) => (typeof v === "string" ? v.toLowerCase() : v));
        falsyArray = falsyArray.map((v) => (typeof v === "string" ? v.toLowerCase() : v));
    }
    const truthySet = new Set(truthyArray);
    const falsySet = new Set(falsyArray);
    const _Codec = Classes.Codec ?? schemas.$ZodCodec;
    const _Boolean = Classes.Boolean ?? schemas.$ZodBoolean;
    const _String = Classes.String ?? schemas.$ZodString;
    const stringSchema = new _String({ type: "string", error: params.error });
    const booleanSchema = new _Boolean({ type: "boolean", error: params.error });
    const codec = new _Codec({
        type: "pipe",
        in: stringSchema,
        out: booleanSchema,
        transform: ((input, payload) => {
            let data = input;
            if (params.case !== "sensitive")
                data = data.toLowerCase();
            if (truthySet.has(data)) {
                return true;
            }
            else if (falsySet.has(data)) {
                return false;
            }
            else {
                payload.issues.push({
                    code: "invalid_value",
                    expected: "stringbool",
                    values: [...truthySet, ...falsySet],
                    input: payload.value,
                    inst: codec,
                    continue: false,
                });
                return {};
            }
        }),
        reverseTransform: ((input, _payload) => {
            if (input === true) {
                return truthyArray[0] || "true";
            }
            else {
                return falsyArray[0] || "false";
            }
        }),
        error: params.error,
    });
    codec._zod.bag.truthy = truthyArray;
    codec._zod.bag.falsy = falsyArray;
    codec._zod.bag.case = params.case ?? "insensitive";
    return codec;
}
// @__NO_SIDE_EFFECTS__
function _stringFormat(Class, format, fnOrRegex, _params = {}) {
    const params = util.normalizeParams(_params);
    const def = {
        check: "string_format",
        type: "string",
        format,
        fn: typeof fnOrRegex === "function" ? fnOrRegex : (val) => fnOrRegex.test(val),
        ...params,
    };
    if (fnOrRegex instanceof RegExp) {
        def.pattern = fnOrRegex;
    }
    const inst = new Class(def);
    return inst;
}

;// CONCATENATED MODULE: ./node_modules/zod/v4/core/errors.js


/* Computing the message eagerly is expensive (pretty-printed JSON of all
 * issues), so defer it until first read. The accessor functions and
 * descriptors are shared across instances to keep error construction
 * cheap; the computed message is cached on the internals object. The
 * setter preserves plain assignment semantics for consumers that
 * overwrite `message`. */
function _getMessage() {
    const internals = this._zod;
    internals.message ?? (internals.message = JSON.stringify(internals.def, jsonStringifyReplacer, 2));
    return internals.message;
}
function _setMessage(value) {
    this._zod.message = value;
}
const _messageDesc = {
    get: _getMessage,
    set: _setMessage,
    enumerable: true,
    configurable: true,
};
const _issuesDesc = { value: undefined, enumerable: false };
/* Prototypes that already carry the lazy `toString`. Seeded with the
 * intrinsics so that `init` on a foreign object — it accepts any object —
 * can never install an accessor onto a prototype we do not own. */
const _installedToString = /* @__PURE__ */ new WeakSet([Object.prototype, Error.prototype]);
const initializer = (inst, def) => {
    inst.name = "$ZodError";
    // `_zod` is already non-enumerable: $constructor's init defined it with this same descriptor
    _issuesDesc.value = def;
    Object.defineProperty(inst, "issues", _issuesDesc);
    // Clear the shared slot; a retained `value` pins the last error's issues.
    _issuesDesc.value = undefined;
    Object.defineProperty(inst, "message", _messageDesc);
    /* `toString` lives as a non-enumerable lazy getter on the shared
     * prototype; on first access it caches a per-instance closure so
     * detached usage still works. */
    const proto = Object.getPrototypeOf(inst);
    if (!_installedToString.has(proto)) {
        _installedToString.add(proto);
        Object.defineProperty(proto, "toString", {
            configurable: true,
            enumerable: false,
            get() {
                const value = () => this.message;
                Object.defineProperty(this, "toString", { value, configurable: true, writable: true });
                return value;
            },
            set(value) {
                Object.defineProperty(this, "toString", { value, configurable: true, writable: true });
            },
        });
    }
};
const $ZodError = $constructor("$ZodError", initializer);
const $ZodRealError = $constructor("$ZodError", initializer, undefined, {
    Parent: Error,
});
/** Get-or-create `obj[key]` as an own data property. A path segment naming an inherited member
 * ("toString", "constructor") would otherwise read through to the prototype, and assigning
 * "__proto__" would hit the setter instead of creating a key. */
function node(obj, key, make) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) {
        if (key === "__proto__") {
            Object.defineProperty(obj, key, { value: make(), writable: true, enumerable: true, configurable: true });
        }
        else {
            obj[key] = make();
        }
    }
    return obj[key];
}
function flattenError(error, mapper = (issue) => issue.message) {
    const fieldErrors = {};
    const formErrors = [];
    for (const sub of error.issues) {
        if (sub.path.length > 0) {
            node(fieldErrors, sub.path[0], () => []).push(mapper(sub));
        }
        else {
            formErrors.push(mapper(sub));
        }
    }
    return { formErrors, fieldErrors };
}
function formatError(error, mapper = (issue) => issue.message) {
    const fieldErrors = { _errors: [] };
    const processError = (error, path = []) => {
        for (const issue of error.issues) {
            if (issue.code === "invalid_union" && issue.errors.length) {
                issue.errors.map((issues) => processError({ issues }, [...path, ...issue.path]));
            }
            else if (issue.code === "invalid_key") {
                processError({ issues: issue.issues }, [...path, ...issue.path]);
            }
            else if (issue.code === "invalid_element") {
                processError({ issues: issue.issues }, [...path, ...issue.path]);
            }
            else {
                const fullpath = [...path, ...issue.path];
                if (fullpath.length === 0) {
                    fieldErrors._errors.push(mapper(issue));
                }
                else {
                    let curr = fieldErrors;
                    let i = 0;
                    while (i < fullpath.length) {
                        const el = fullpath[i];
                        const terminal = i === fullpath.length - 1;
                        // `_errors` is reserved by this legacy format, so merge a matching path segment into the current node instead of treating its array as a child.
                        if (el === "_errors") {
                            if (terminal)
                                curr._errors.push(mapper(issue));
                            i++;
                            continue;
                        }
                        // A path element may collide with an inherited property name such as
                        // "__proto__" or "constructor". Truthiness checks read the prototype
                        // (so no node is created, then ._errors.push throws), and bracket
                        // assignment of "__proto__" hits the setter instead of creating an
                        // own key. Guard the read with hasOwnProperty and create the node
                        // with defineProperty so any path element becomes a real own key.
                        if (!Object.prototype.hasOwnProperty.call(curr, el)) {
                            Object.defineProperty(curr, el, {
                                value: { _errors: [] },
                                enumerable: true,
                                writable: true,
                                configurable: true,
                            });
                        }
                        const node = curr[el];
                        if (terminal) {
                            node._errors.push(mapper(issue));
                        }
                        curr = node;
                        i++;
                    }
                }
            }
        }
    };
    processError(error);
    return fieldErrors;
}
function treeifyError(error, mapper = (issue) => issue.message) {
    const result = { errors: [] };
    const processError = (error, path = []) => {
        var _a;
        for (const issue of error.issues) {
            if (issue.code === "invalid_union" && issue.errors.length) {
                // regular union error
                issue.errors.map((issues) => processError({ issues }, [...path, ...issue.path]));
            }
            else if (issue.code === "invalid_key") {
                processError({ issues: issue.issues }, [...path, ...issue.path]);
            }
            else if (issue.code === "invalid_element") {
                processError({ issues: issue.issues }, [...path, ...issue.path]);
            }
            else {
                const fullpath = [...path, ...issue.path];
                if (fullpath.length === 0) {
                    result.errors.push(mapper(issue));
                    continue;
                }
                let curr = result;
                let i = 0;
                while (i < fullpath.length) {
                    const el = fullpath[i];
                    const terminal = i === fullpath.length - 1;
                    if (typeof el === "string") {
                        curr.properties ?? (curr.properties = {});
                        // el may collide with an inherited property name ("__proto__",
                        // "constructor", ...); ??= reads the prototype so the node is never
                        // created and curr.errors.push throws. Guard with hasOwnProperty and
                        // create the node with defineProperty so "__proto__" becomes a real
                        // own key rather than invoking the prototype setter.
                        if (!Object.prototype.hasOwnProperty.call(curr.properties, el)) {
                            Object.defineProperty(curr.properties, el, {
                                value: { errors: [] },
                                enumerable: true,
                                writable: true,
                                configurable: true,
                            });
                        }
                        curr = curr.properties[el];
                    }
                    else {
                        curr.items ?? (curr.items = []);
                        (_a = curr.items)[el] ?? (_a[el] = { errors: [] });
                        curr = curr.items[el];
                    }
                    if (terminal) {
                        curr.errors.push(mapper(issue));
                    }
                    i++;
                }
            }
        }
    };
    processError(error);
    return result;
}
/** Format a ZodError as a human-readable string in the following form.
 *
 * From
 *
 * ```ts
 * ZodError {
 *   issues: [
 *     {
 *       expected: 'string',
 *       code: 'invalid_type',
 *       path: [ 'username' ],
 *       message: 'Invalid input: expected string'
 *     },
 *     {
 *       expected: 'number',
 *       code: 'invalid_type',
 *       path: [ 'favoriteNumbers', 1 ],
 *       message: 'Invalid input: expected number'
 *     }
 *   ];
 * }
 * ```
 *
 * to
 *
 * ```
 * username
 *   ✖ Expected number, received string at "username
 * favoriteNumbers[0]
 *   ✖ Invalid input: expected number
 * ```
 */
function toDotPath(_path) {
    const segs = [];
    const path = _path.map((seg) => (typeof seg === "object" ? seg.key : seg));
    for (const seg of path) {
        if (typeof seg === "number")
            segs.push(`[${seg}]`);
        else if (typeof seg === "symbol")
            segs.push(`[${JSON.stringify(String(seg))}]`);
        else if (/[^\w$]/.test(seg))
            segs.push(`[${JSON.stringify(seg)}]`);
        else {
            if (segs.length)
                segs.push(".");
            segs.push(seg);
        }
    }
    return segs.join("");
}
function prettifyError(error) {
    const lines = [];
    // sort by path length
    const issues = [...error.issues].sort((a, b) => (a.path ?? []).length - (b.path ?? []).length);
    // Process each issue
    for (const issue of issues) {
        lines.push(`✖ ${issue.message}`);
        if (issue.path?.length)
            lines.push(`  → at ${toDotPath(issue.path)}`);
    }
    // Convert Map to formatted string
    return lines.join("\n");
}

;// CONCATENATED MODULE: ./node_modules/zod/v4/core/parse.js



// Always both keys, so the `_params` read site in `_parse` sees one object shape rather than two.
function finalizeParams(callee, params) {
    return { callee: params?.callee ?? callee, Err: params?.Err };
}
const _parse = (_Err) => {
    const fn = (schema, value, _ctx, _params) => {
        const ctx = _ctx ? { ..._ctx, async: false } : { async: false };
        const result = schema._zod.run({ value, issues: [] }, ctx);
        if (result instanceof Promise) {
            throw new $ZodAsyncError();
        }
        if (result.issues.length) {
            const e = new (_params?.Err ?? _Err)(result.issues.map((iss) => finalizeIssue(iss, ctx, config())));
            captureStackTrace(e, _params?.callee ?? fn);
            throw e;
        }
        return result.value;
    };
    return fn;
};
const parse_parse = /* @__PURE__*/ _parse($ZodRealError);
const _parseAsync = (_Err) => {
    const fn = async (schema, value, _ctx, params) => {
        const ctx = _ctx ? { ..._ctx, async: true } : { async: true };
        let result = schema._zod.run({ value, issues: [] }, ctx);
        if (result instanceof Promise)
            result = await result;
        if (result.issues.length) {
            const e = new (params?.Err ?? _Err)(result.issues.map((iss) => finalizeIssue(iss, ctx, config())));
            captureStackTrace(e, params?.callee ?? fn);
            throw e;
        }
        return result.value;
    };
    return fn;
};
const parse_parseAsync = /* @__PURE__*/ _parseAsync($ZodRealError);
const _safeParse = (_Err) => (schema, value, _ctx) => {
    const ctx = _ctx ? { ..._ctx, async: false } : { async: false };
    const result = schema._zod.run({ value, issues: [] }, ctx);
    if (result instanceof Promise) {
        throw new $ZodAsyncError();
    }
    return result.issues.length ? failure(_Err, result.issues, ctx) : { success: true, data: result.value };
};
const safeParse = /* @__PURE__*/ _safeParse($ZodRealError);
// the error is built on the first read of `error`: finalizing the issues and constructing the instance is most of a failing parse, and a caller that only branches on `success` never pays it. a getter in the literal keeps this small; the alternative, one shared accessor descriptor plus a hidden state slot, reads ~15% faster but costs ~75 B gzipped in every bundle
function failure(Err, issues, ctx) {
    let error;
    return {
        success: false,
        get error() {
            if (!error) {
                error = new Err(issues.map((iss) => finalizeIssue(iss, ctx, config())));
                // finalizeIssue drops `input`, so the built error holds nothing; keeping the raw issues past this point pins the parsed value for the life of the result
                issues = undefined;
                ctx = undefined;
            }
            return error;
        },
        set error(e) {
            error = e;
            // a replacement makes the getter's branch unreachable, so the captures have to go here too
            issues = undefined;
            ctx = undefined;
        },
    };
}
const _safeParseAsync = (_Err) => async (schema, value, _ctx) => {
    const ctx = _ctx ? { ..._ctx, async: true } : { async: true };
    let result = schema._zod.run({ value, issues: [] }, ctx);
    if (result instanceof Promise)
        result = await result;
    return result.issues.length ? failure(_Err, result.issues, ctx) : { success: true, data: result.value };
};
const safeParseAsync = /* @__PURE__*/ _safeParseAsync($ZodRealError);
// registry mirrors of the compiler's sentinels, so this module never imports the compiler
const COMPILE_INVALID = /* @__PURE__ */ (/* unused pure expression or super */ null && (Symbol.for("zod.compile.invalid")));
const COMPILE_FALLBACK = /* @__PURE__ */ (/* unused pure expression or super */ null && (Symbol.for("zod.compile.fallback")));
// Deliberately tiny, because v8 will not inline a body carrying the fallback's object literals and throw. Everything that is not the compiled happy path lives in validateFallback, and that split is worth ~35% on a compiled schema.
const validate = ((schema, value, _ctx) => {
    const validator = schema._zod.bag.validator;
    if (validator !== undefined) {
        if (validator(value) !== COMPILE_INVALID)
            return true;
        // a definite sentinel means the runtime would reject, so skip the re-parse; a ctx can still change the answer
        if (validator.definite === true && _ctx === undefined)
            return false;
    }
    return validateFallback(schema, value, _ctx);
});
function validateFallback(schema, value, _ctx) {
    const ctx = _ctx
        ? { ..._ctx, async: false, abortEarly: true }
        : { async: false, abortEarly: true };
    const fallbackRun = schema._zod.bag.fallbackRun;
    let result;
    if (fallbackRun) {
        // skip nested fast paths on the fallback, so user callbacks keep the at-most-twice bound
        ctx[COMPILE_FALLBACK] = true;
        result = fallbackRun({ value, issues: [] }, ctx);
    }
    else {
        result = schema._zod.run({ value, issues: [] }, ctx);
    }
    if (result instanceof Promise) {
        throw new core.$ZodAsyncError();
    }
    return result.issues.length === 0;
}
// no fast path: the compiler keeps async parses on the runtime, because a promise-returning callback that is not declared async compiles to a throw
const parse_validateAsync = async (schema, value, _ctx) => {
    const ctx = _ctx
        ? { ..._ctx, async: true, abortEarly: true }
        : { async: true, abortEarly: true };
    let result = schema._zod.run({ value, issues: [] }, ctx);
    if (result instanceof Promise)
        result = await result;
    return result.issues.length === 0;
};
const _encode = (_Err) => {
    const parse = _parse(_Err);
    const fn = (schema, value, _ctx, _params) => {
        const ctx = _ctx ? { ..._ctx, direction: "backward" } : { direction: "backward" };
        return parse(schema, value, ctx, finalizeParams(fn, _params));
    };
    return fn;
};
const encode = /* @__PURE__*/ _encode($ZodRealError);
const _decode = (_Err) => {
    const parse = _parse(_Err);
    const fn = (schema, value, _ctx, _params) => {
        return parse(schema, value, _ctx, finalizeParams(fn, _params));
    };
    return fn;
};
const decode = /* @__PURE__*/ _decode($ZodRealError);
const _encodeAsync = (_Err) => {
    const parseAsync = _parseAsync(_Err);
    const fn = async (schema, value, _ctx, _params) => {
        const ctx = _ctx ? { ..._ctx, direction: "backward" } : { direction: "backward" };
        return (await parseAsync(schema, value, ctx, finalizeParams(fn, _params)));
    };
    return fn;
};
const encodeAsync = /* @__PURE__*/ _encodeAsync($ZodRealError);
const _decodeAsync = (_Err) => {
    const parseAsync = _parseAsync(_Err);
    const fn = async (schema, value, _ctx, _params) => {
        return await parseAsync(schema, value, _ctx, finalizeParams(fn, _params));
    };
    return fn;
};
const decodeAsync = /* @__PURE__*/ _decodeAsync($ZodRealError);
const _safeEncode = (_Err) => (schema, value, _ctx) => {
    const ctx = _ctx ? { ..._ctx, direction: "backward" } : { direction: "backward" };
    return _safeParse(_Err)(schema, value, ctx);
};
const safeEncode = /* @__PURE__*/ _safeEncode($ZodRealError);
const _safeDecode = (_Err) => (schema, value, _ctx) => {
    return _safeParse(_Err)(schema, value, _ctx);
};
const safeDecode = /* @__PURE__*/ _safeDecode($ZodRealError);
const _safeEncodeAsync = (_Err) => async (schema, value, _ctx) => {
    const ctx = _ctx ? { ..._ctx, direction: "backward" } : { direction: "backward" };
    return _safeParseAsync(_Err)(schema, value, ctx);
};
const safeEncodeAsync = /* @__PURE__*/ _safeEncodeAsync($ZodRealError);
const _safeDecodeAsync = (_Err) => async (schema, value, _ctx) => {
    return _safeParseAsync(_Err)(schema, value, _ctx);
};
const safeDecodeAsync = /* @__PURE__*/ _safeDecodeAsync($ZodRealError);

;// CONCATENATED MODULE: ./node_modules/zod/v4/mini/schemas.js




const ZodMiniType = /*@__PURE__*/ $constructor("ZodMiniType", (inst, def) => {
    if (!inst._zod)
        throw new Error("Uninitialized schema in ZodMiniType.");
    $ZodType.init(inst, def);
    inst.def = def;
    inst.type = def.type;
}, {
    // `with` is an alias for `check`: the same function object, not a wrapper.
    get with() {
        return this.check;
    },
    set with(value) {
        own(this, "with", value);
    },
    parse(data, params) {
        return parse_parse(this, data, params, { callee: this.parse });
    },
    parseAsync(data, params) {
        return parse_parseAsync(this, data, params, { callee: this.parseAsync });
    },
    safeParse(data, params) {
        return safeParse(this, data, params);
    },
    safeParseAsync(data, params) {
        return safeParseAsync(this, data, params);
    },
    check(...checks) {
        const def = this.def;
        return this.clone({
            ...def,
            checks: [
                ...(def.checks ?? []),
                ...checks.map((ch) => typeof ch === "function" ? { _zod: { check: ch, def: { check: "custom" }, onattach: [] } } : ch),
            ],
        }, { parent: true });
    },
    clone(_def, params) {
        return clone(this, _def, params);
    },
    brand() {
        return this;
    },
    register(reg, meta) {
        reg.add(this, meta);
        return this;
    },
    apply(fn, ...args) {
        return args.length === 0 ? fn(this) : fn(this, ...args);
    },
});
const ZodMiniString = /*@__PURE__*/ $constructor("ZodMiniString", (inst, def) => {
    $ZodString.init(inst, def);
    ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function schemas_string(params) {
    return _string(ZodMiniString, params);
}
const ZodMiniStringFormat = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniStringFormat", (inst, def) => {
    core.$ZodStringFormat.init(inst, def);
    ZodMiniString.init(inst, def);
})));
const ZodMiniEmail = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniEmail", (inst, def) => {
    core.$ZodEmail.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_email(params) {
    return core._email(ZodMiniEmail, params);
}
const ZodMiniGUID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniGUID", (inst, def) => {
    core.$ZodGUID.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_guid(params) {
    return core._guid(ZodMiniGUID, params);
}
const ZodMiniUUID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniUUID", (inst, def) => {
    core.$ZodUUID.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_uuid(params) {
    return core._uuid(ZodMiniUUID, params);
}
// @__NO_SIDE_EFFECTS__
function uuidv4(params) {
    return core._uuidv4(ZodMiniUUID, params);
}
// ZodMiniUUIDv6
// @__NO_SIDE_EFFECTS__
function uuidv6(params) {
    return core._uuidv6(ZodMiniUUID, params);
}
// ZodMiniUUIDv7
// @__NO_SIDE_EFFECTS__
function uuidv7(params) {
    return core._uuidv7(ZodMiniUUID, params);
}
const ZodMiniURL = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniURL", (inst, def) => {
    core.$ZodURL.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function url(params) {
    return core._url(ZodMiniURL, params);
}
// @__NO_SIDE_EFFECTS__
function httpUrl(params) {
    return core._url(ZodMiniURL, {
        protocol: regexes.httpProtocol,
        hostname: regexes.domain,
        ...util.normalizeParams(params),
    });
}
const ZodMiniEmoji = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniEmoji", (inst, def) => {
    core.$ZodEmoji.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_emoji(params) {
    return core._emoji(ZodMiniEmoji, params);
}
const ZodMiniNanoID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniNanoID", (inst, def) => {
    core.$ZodNanoID.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_nanoid(params) {
    return core._nanoid(ZodMiniNanoID, params);
}
/**
 * @deprecated CUID v1 is deprecated by its authors due to information leakage
 * (timestamps embedded in the id). Use {@link ZodMiniCUID2} instead.
 * See https://github.com/paralleldrive/cuid.
 */
const ZodMiniCUID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniCUID", (inst, def) => {
    core.$ZodCUID.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
/**
 * Validates a CUID v1 string.
 *
 * @deprecated CUID v1 is deprecated by its authors due to information leakage
 * (timestamps embedded in the id). Use {@link cuid2 | `z.cuid2()`} instead.
 * See https://github.com/paralleldrive/cuid.
 */
// @__NO_SIDE_EFFECTS__
function schemas_cuid(params) {
    return core._cuid(ZodMiniCUID, params);
}
const ZodMiniCUID2 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniCUID2", (inst, def) => {
    core.$ZodCUID2.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_cuid2(params) {
    return core._cuid2(ZodMiniCUID2, params);
}
const ZodMiniULID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniULID", (inst, def) => {
    core.$ZodULID.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_ulid(params) {
    return core._ulid(ZodMiniULID, params);
}
const ZodMiniXID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniXID", (inst, def) => {
    core.$ZodXID.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_xid(params) {
    return core._xid(ZodMiniXID, params);
}
const ZodMiniKSUID = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniKSUID", (inst, def) => {
    core.$ZodKSUID.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_ksuid(params) {
    return core._ksuid(ZodMiniKSUID, params);
}
const ZodMiniIPv4 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniIPv4", (inst, def) => {
    core.$ZodIPv4.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_ipv4(params) {
    return core._ipv4(ZodMiniIPv4, params);
}
const ZodMiniIPv6 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniIPv6", (inst, def) => {
    core.$ZodIPv6.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_ipv6(params) {
    return core._ipv6(ZodMiniIPv6, params);
}
const ZodMiniCIDRv4 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniCIDRv4", (inst, def) => {
    core.$ZodCIDRv4.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_cidrv4(params) {
    return core._cidrv4(ZodMiniCIDRv4, params);
}
const ZodMiniCIDRv6 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniCIDRv6", (inst, def) => {
    core.$ZodCIDRv6.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_cidrv6(params) {
    return core._cidrv6(ZodMiniCIDRv6, params);
}
const ZodMiniMAC = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniMAC", (inst, def) => {
    core.$ZodMAC.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_mac(params) {
    return core._mac(ZodMiniMAC, params);
}
const ZodMiniBase64 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniBase64", (inst, def) => {
    core.$ZodBase64.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_base64(params) {
    return core._base64(ZodMiniBase64, params);
}
const ZodMiniBase64URL = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniBase64URL", (inst, def) => {
    core.$ZodBase64URL.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_base64url(params) {
    return core._base64url(ZodMiniBase64URL, params);
}
const ZodMiniE164 = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniE164", (inst, def) => {
    core.$ZodE164.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_e164(params) {
    return core._e164(ZodMiniE164, params);
}
const ZodMiniCreditCard = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniCreditCard", (inst, def) => {
    core.$ZodCreditCard.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_creditCard(params) {
    return core._creditCard(ZodMiniCreditCard, params);
}
const ZodMiniIBAN = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniIBAN", (inst, def) => {
    core.$ZodIBAN.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_iban(params) {
    return core._iban(ZodMiniIBAN, params);
}
const ZodMiniJWT = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniJWT", (inst, def) => {
    core.$ZodJWT.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function jwt(params) {
    return core._jwt(ZodMiniJWT, params);
}
const ZodMiniCustomStringFormat = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniCustomStringFormat", (inst, def) => {
    core.$ZodCustomStringFormat.init(inst, def);
    ZodMiniStringFormat.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function stringFormat(format, fnOrRegex, _params = {}) {
    return core._stringFormat(ZodMiniCustomStringFormat, format, fnOrRegex, _params);
}
// @__NO_SIDE_EFFECTS__
function schemas_hostname(_params) {
    return core._stringFormat(ZodMiniCustomStringFormat, "hostname", regexes.hostname, _params);
}
// @__NO_SIDE_EFFECTS__
function schemas_hex(_params) {
    return core._stringFormat(ZodMiniCustomStringFormat, "hex", regexes.hex, _params);
}
// @__NO_SIDE_EFFECTS__
function schemas_currencyCode(_params) {
    return core._stringFormat(ZodMiniCustomStringFormat, "currency_code", regexes.currencyCode, _params);
}
// @__NO_SIDE_EFFECTS__
function hash(alg, params) {
    const enc = params?.enc ?? "hex";
    const format = `${alg}_${enc}`;
    const regex = core.regexes[format];
    // check for unrecognized format
    if (!regex)
        throw new Error(`Unrecognized hash format: ${format}`);
    return core._stringFormat(ZodMiniCustomStringFormat, format, regex, params);
}
const ZodMiniNumber = /*@__PURE__*/ $constructor("ZodMiniNumber", (inst, def) => {
    $ZodNumber.init(inst, def);
    ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function schemas_number(params) {
    return _number(ZodMiniNumber, params);
}
const ZodMiniNumberFormat = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniNumberFormat", (inst, def) => {
    core.$ZodNumberFormat.init(inst, def);
    ZodMiniNumber.init(inst, def);
})));
function schemas_int(params) {
    return core._int(ZodMiniNumberFormat, params);
}
function float32(params) {
    return core._float32(ZodMiniNumberFormat, params);
}
function float64(params) {
    return core._float64(ZodMiniNumberFormat, params);
}
function int32(params) {
    return core._int32(ZodMiniNumberFormat, params);
}
function uint32(params) {
    return core._uint32(ZodMiniNumberFormat, params);
}
const ZodMiniBoolean = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniBoolean", (inst, def) => {
    core.$ZodBoolean.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_boolean(params) {
    return core._boolean(ZodMiniBoolean, params);
}
const ZodMiniBigInt = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniBigInt", (inst, def) => {
    core.$ZodBigInt.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_bigint(params) {
    return core._bigint(ZodMiniBigInt, params);
}
const ZodMiniBigIntFormat = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniBigIntFormat", (inst, def) => {
    core.$ZodBigIntFormat.init(inst, def);
    ZodMiniBigInt.init(inst, def);
})));
function int64(params) {
    return core._int64(ZodMiniBigIntFormat, params);
}
function uint64(params) {
    return core._uint64(ZodMiniBigIntFormat, params);
}
const ZodMiniSymbol = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniSymbol", (inst, def) => {
    core.$ZodSymbol.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function symbol(params) {
    return core._symbol(ZodMiniSymbol, params);
}
const ZodMiniUndefined = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniUndefined", (inst, def) => {
    core.$ZodUndefined.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_undefined(params) {
    return core._undefined(ZodMiniUndefined, params);
}

const ZodMiniNull = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniNull", (inst, def) => {
    core.$ZodNull.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_null(params) {
    return core._null(ZodMiniNull, params);
}

const ZodMiniAny = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniAny", (inst, def) => {
    core.$ZodAny.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function any() {
    return core._any(ZodMiniAny);
}
const ZodMiniUnknown = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniUnknown", (inst, def) => {
    core.$ZodUnknown.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function unknown() {
    return core._unknown(ZodMiniUnknown);
}
const ZodMiniNever = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniNever", (inst, def) => {
    core.$ZodNever.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function never(params) {
    return core._never(ZodMiniNever, params);
}
const ZodMiniVoid = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniVoid", (inst, def) => {
    core.$ZodVoid.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_void(params) {
    return core._void(ZodMiniVoid, params);
}

const ZodMiniDate = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniDate", (inst, def) => {
    core.$ZodDate.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_date(params) {
    return core._date(ZodMiniDate, params);
}
const ZodMiniArray = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniArray", (inst, def) => {
    core.$ZodArray.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function array(element, params) {
    return new ZodMiniArray({
        type: "array",
        element: element,
        ...util.normalizeParams(params),
    });
}
// .keyof
// @__NO_SIDE_EFFECTS__
function keyof(schema) {
    const shape = schema._zod.def.shape;
    return schemas_enum(Object.keys(shape));
}
const ZodMiniObject = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniObject", (inst, def) => {
    core.$ZodObject.init(inst, def);
    ZodMiniType.init(inst, def);
    util.installLazyProp(inst, "shape", (self) => self._zod.def.shape, false);
})));
// @__NO_SIDE_EFFECTS__
function object(shape, params) {
    const def = {
        type: "object",
        shape: shape ?? {},
        ...util.normalizeParams(params),
    };
    return new ZodMiniObject(def);
}
// strictObject
// @__NO_SIDE_EFFECTS__
function strictObject(shape, params) {
    return new ZodMiniObject({
        type: "object",
        shape,
        catchall: never(),
        ...util.normalizeParams(params),
    });
}
// looseObject
// @__NO_SIDE_EFFECTS__
function looseObject(shape, params) {
    return new ZodMiniObject({
        type: "object",
        shape,
        catchall: unknown(),
        ...util.normalizeParams(params),
    });
}
// object methods
// @__NO_SIDE_EFFECTS__
function schemas_extend(schema, shape) {
    return util.extend(schema, shape);
}
// @__NO_SIDE_EFFECTS__
function schemas_safeExtend(schema, shape) {
    return util.safeExtend(schema, shape);
}
/**
 * @deprecated Use [`z.extend(A, B.shape)`](https://zod.dev/api?id=extend) instead.
 */
// @__NO_SIDE_EFFECTS__
function schemas_merge(a, b) {
    return util.merge(a, b);
}
// @__NO_SIDE_EFFECTS__
function schemas_pick(schema, mask) {
    return util.pick(schema, mask);
}
// .omit
// @__NO_SIDE_EFFECTS__
function schemas_omit(schema, mask) {
    return util.omit(schema, mask);
}
// @__NO_SIDE_EFFECTS__
function schemas_partial(schema, mask) {
    const def = schema._zod.def;
    if (def.type !== "tuple")
        return util.partial(ZodMiniOptional, schema, mask);
    // a refinement was authored against the full arity; partialing would run it on a shorter array
    if (def.checks?.length)
        throw new Error(".partial() cannot be used on tuple schemas containing refinements");
    return util.clone(schema, {
        ...def,
        items: def.items.map((item) => new ZodMiniOptional({ type: "optional", innerType: item })),
    });
}
// @__NO_SIDE_EFFECTS__
function exactPartial(schema, mask) {
    return util.partial(ZodMiniExactOptional, schema, mask, "exactPartial");
}
// @__NO_SIDE_EFFECTS__
function schemas_required(schema, mask) {
    return util.required(ZodMiniNonOptional, schema, mask);
}
// @__NO_SIDE_EFFECTS__
function catchall(inst, catchall) {
    // `mergeDefs` rather than a spread: spreading reads `shape`, and resolving it can mint a whole fresh subtree
    return inst.clone(util.mergeDefs(inst._zod.def, { catchall: catchall }));
}
const ZodMiniUnion = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniUnion", (inst, def) => {
    core.$ZodUnion.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function union(options, params) {
    return new ZodMiniUnion({
        type: "union",
        options: options,
        ...util.normalizeParams(params),
    });
}
const ZodMiniXor = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniXor", (inst, def) => {
    ZodMiniUnion.init(inst, def);
    core.$ZodXor.init(inst, def);
})));
/** Creates an exclusive union (XOR) where exactly one option must match.
 * Unlike regular unions that succeed when any option matches, xor fails if
 * zero or more than one option matches the input. */
function xor(options, params) {
    return new ZodMiniXor({
        type: "union",
        options: options,
        inclusive: false,
        ...util.normalizeParams(params),
    });
}
const ZodMiniDiscriminatedUnion = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniDiscriminatedUnion", (inst, def) => {
    core.$ZodDiscriminatedUnion.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function discriminatedUnion(discriminator, options, params) {
    return new ZodMiniDiscriminatedUnion({
        type: "union",
        options: options,
        discriminator,
        ...util.normalizeParams(params),
    });
}
const ZodMiniIntersection = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniIntersection", (inst, def) => {
    core.$ZodIntersection.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function intersection(left, right) {
    return new ZodMiniIntersection({
        type: "intersection",
        left: left,
        right: right,
    });
}
const ZodMiniTuple = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniTuple", (inst, def) => {
    core.$ZodTuple.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function tuple(items, _paramsOrRest, _params) {
    const hasRest = _paramsOrRest instanceof core.$ZodType;
    const params = hasRest ? _params : _paramsOrRest;
    const rest = hasRest ? _paramsOrRest : null;
    return new ZodMiniTuple({
        type: "tuple",
        items: items,
        rest,
        ...util.normalizeParams(params),
    });
}
const ZodMiniRecord = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniRecord", (inst, def) => {
    core.$ZodRecord.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function record(keyType, valueType, params) {
    // v3-compat: z.record(valueType, params?) — defaults keyType to z.string()
    if (!valueType || !valueType._zod) {
        return new ZodMiniRecord({
            type: "record",
            keyType: schemas_string(),
            valueType: keyType,
            ...util.normalizeParams(valueType),
        });
    }
    return new ZodMiniRecord({
        type: "record",
        keyType,
        valueType: valueType,
        ...util.normalizeParams(params),
    });
}
// @__NO_SIDE_EFFECTS__
function partialRecord(keyType, valueType, params) {
    return new ZodMiniRecord({
        type: "record",
        keyType,
        valueType: valueType,
        ...util.normalizeParams(params),
        partial: true,
    });
}
function looseRecord(keyType, valueType, params) {
    return new ZodMiniRecord({
        type: "record",
        keyType,
        valueType: valueType,
        mode: "loose",
        ...util.normalizeParams(params),
    });
}
const ZodMiniMap = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniMap", (inst, def) => {
    core.$ZodMap.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function map(keyType, valueType, params) {
    return new ZodMiniMap({
        type: "map",
        keyType: keyType,
        valueType: valueType,
        ...util.normalizeParams(params),
    });
}
const ZodMiniSet = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniSet", (inst, def) => {
    core.$ZodSet.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function set(valueType, params) {
    return new ZodMiniSet({
        type: "set",
        valueType: valueType,
        ...util.normalizeParams(params),
    });
}
const ZodMiniEnum = /*@__PURE__*/ $constructor("ZodMiniEnum", (inst, def) => {
    $ZodEnum.init(inst, def);
    ZodMiniType.init(inst, def);
    // reuse the parsed value set so a numeric TS enum's reverse-mapping keys stay out
    inst.options = [...inst._zod.values];
});
// @__NO_SIDE_EFFECTS__
function schemas_enum(values, params) {
    const entries = Array.isArray(values) ? Object.fromEntries(values.map((v) => [v, v])) : values;
    return new ZodMiniEnum({
        type: "enum",
        entries,
        ...normalizeParams(params),
    });
}

// @__NO_SIDE_EFFECTS__
/** @deprecated This API has been merged into `z.enum()`. Use `z.enum()` instead.
 *
 * ```ts
 * enum Colors { red, green, blue }
 * z.enum(Colors);
 * ```
 */
function nativeEnum(entries, params) {
    return new ZodMiniEnum({
        type: "enum",
        entries,
        ...util.normalizeParams(params),
    });
}
const ZodMiniLiteral = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniLiteral", (inst, def) => {
    core.$ZodLiteral.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function literal(value, params) {
    return new ZodMiniLiteral({
        type: "literal",
        values: Array.isArray(value) ? value : [value],
        ...util.normalizeParams(params),
    });
}
const ZodMiniFile = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniFile", (inst, def) => {
    core.$ZodFile.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function file(params) {
    return core._file(ZodMiniFile, params);
}
const ZodMiniTransform = /*@__PURE__*/ $constructor("ZodMiniTransform", (inst, def) => {
    $ZodTransform.init(inst, def);
    ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function transform(fn) {
    return new ZodMiniTransform({
        type: "transform",
        transform: fn,
    });
}
const ZodMiniOptional = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniOptional", (inst, def) => {
    core.$ZodOptional.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function optional(innerType) {
    return new ZodMiniOptional({
        type: "optional",
        innerType: innerType,
    });
}
const ZodMiniExactOptional = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniExactOptional", (inst, def) => {
    core.$ZodExactOptional.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function exactOptional(innerType) {
    return new ZodMiniExactOptional({
        type: "optional",
        innerType: innerType,
    });
}
const ZodMiniNullable = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniNullable", (inst, def) => {
    core.$ZodNullable.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function nullable(innerType) {
    return new ZodMiniNullable({
        type: "nullable",
        innerType: innerType,
    });
}
// nullish
// @__NO_SIDE_EFFECTS__
function schemas_nullish(innerType) {
    return optional(nullable(innerType));
}
const ZodMiniDefault = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniDefault", (inst, def) => {
    core.$ZodDefault.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_default(innerType, defaultValue) {
    return new ZodMiniDefault({
        type: "default",
        innerType: innerType,
        get defaultValue() {
            return typeof defaultValue === "function" ? defaultValue() : util.shallowClone(defaultValue);
        },
    });
}
const ZodMiniPrefault = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniPrefault", (inst, def) => {
    core.$ZodPrefault.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function prefault(innerType, defaultValue) {
    return new ZodMiniPrefault({
        type: "prefault",
        innerType: innerType,
        get defaultValue() {
            return typeof defaultValue === "function" ? defaultValue() : util.shallowClone(defaultValue);
        },
    });
}
const ZodMiniNonOptional = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniNonOptional", (inst, def) => {
    core.$ZodNonOptional.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function nonoptional(innerType, params) {
    return new ZodMiniNonOptional({
        type: "nonoptional",
        innerType: innerType,
        ...util.normalizeParams(params),
    });
}
const ZodMiniSuccess = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniSuccess", (inst, def) => {
    core.$ZodSuccess.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function success(innerType) {
    return new ZodMiniSuccess({
        type: "success",
        innerType: innerType,
    });
}
const ZodMiniCatch = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniCatch", (inst, def) => {
    core.$ZodCatch.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function schemas_catch(innerType, catchValue) {
    return new ZodMiniCatch({
        type: "catch",
        innerType: innerType,
        catchValue: (typeof catchValue === "function" ? catchValue : core.util.constantCatch(catchValue)),
    });
}

const ZodMiniNaN = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniNaN", (inst, def) => {
    core.$ZodNaN.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function nan(params) {
    return core._nan(ZodMiniNaN, params);
}
const ZodMiniPipe = /*@__PURE__*/ $constructor("ZodMiniPipe", (inst, def) => {
    $ZodPipe.init(inst, def);
    ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function pipe(in_, out) {
    return new ZodMiniPipe({
        type: "pipe",
        in: in_,
        out: out,
    });
}
const ZodMiniCodec = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniCodec", (inst, def) => {
    ZodMiniPipe.init(inst, def);
    core.$ZodCodec.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function codec(in_, out, params) {
    return new ZodMiniCodec({
        type: "pipe",
        in: in_,
        out: out,
        transform: params.decode,
        reverseTransform: params.encode,
    });
}
// @__NO_SIDE_EFFECTS__
function invertCodec(codec) {
    const def = codec._zod.def;
    return new ZodMiniCodec({
        type: "pipe",
        in: def.out,
        out: def.in,
        transform: def.reverseTransform,
        reverseTransform: def.transform,
    });
}
const ZodMiniReadonly = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniReadonly", (inst, def) => {
    core.$ZodReadonly.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function readonly(innerType) {
    return new ZodMiniReadonly({
        type: "readonly",
        innerType: innerType,
    });
}
const ZodMiniTemplateLiteral = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniTemplateLiteral", (inst, def) => {
    core.$ZodTemplateLiteral.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function templateLiteral(parts, params) {
    return new ZodMiniTemplateLiteral({
        type: "template_literal",
        parts,
        ...util.normalizeParams(params),
    });
}
const ZodMiniLazy = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniLazy", (inst, def) => {
    core.$ZodLazy.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// export function lazy<T extends object>(getter: () => T): T {
//   return util.createTransparentProxy<T>(getter);
// }
// @__NO_SIDE_EFFECTS__
function schemas_lazy(getter) {
    return new ZodMiniLazy({
        type: "lazy",
        getter: getter,
    });
}

const ZodMiniPromise = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniPromise", (inst, def) => {
    core.$ZodPromise.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function promise(innerType) {
    return new ZodMiniPromise({
        type: "promise",
        innerType: innerType,
    });
}
const ZodMiniCustom = /*@__PURE__*/ $constructor("ZodMiniCustom", (inst, def) => {
    $ZodCustom.init(inst, def);
    ZodMiniType.init(inst, def);
});
// custom checks
// @__NO_SIDE_EFFECTS__
function check(fn, params) {
    const ch = new core.$ZodCheck({
        check: "custom",
        ...util.normalizeParams(params),
    });
    ch._zod.check = fn;
    return ch;
}
// ZodCustom custom schema
// @__NO_SIDE_EFFECTS__
function custom(fn, _params) {
    return core._custom(ZodMiniCustom, fn ?? (() => true), _params);
}
// refine
// @__NO_SIDE_EFFECTS__
function refine(fn, _params = {}) {
    return _refine(ZodMiniCustom, fn, _params);
}
// superRefine
// @__NO_SIDE_EFFECTS__
function superRefine(fn, params) {
    return core._superRefine(fn, params);
}
// Re-export describe and meta from core
const schemas_describe = describe;
const schemas_meta = meta;
// instanceof
class schemas_Class {
    constructor(..._args) { }
}
// @__NO_SIDE_EFFECTS__
function _instanceof(cls, params = {}) {
    const inst = custom((data) => data instanceof cls, params);
    inst._zod.bag.Class = cls;
    // Override check to emit invalid_type instead of custom
    inst._zod.check = (payload) => {
        if (!(payload.value instanceof cls)) {
            payload.issues.push({
                code: "invalid_type",
                expected: cls.name,
                input: payload.value,
                inst,
                path: [...(inst._zod.def.path ?? [])],
            });
        }
    };
    return inst;
}

// stringbool
const stringbool = (...args) => core._stringbool({
    Codec: ZodMiniCodec,
    Boolean: ZodMiniBoolean,
    String: ZodMiniString,
}, ...args);
// @__NO_SIDE_EFFECTS__
function json() {
    const jsonSchema = schemas_lazy(() => {
        return union([schemas_string(), schemas_number(), schemas_boolean(), schemas_null(), array(jsonSchema), record(schemas_string(), jsonSchema)]);
    });
    return jsonSchema;
}
const ZodMiniFunction = /*@__PURE__*/ (/* unused pure expression or super */ null && (core.$constructor("ZodMiniFunction", (inst, def) => {
    core.$ZodFunction.init(inst, def);
    ZodMiniType.init(inst, def);
})));
// @__NO_SIDE_EFFECTS__
function _function(params) {
    return new ZodMiniFunction({
        type: "function",
        input: Array.isArray(params?.input) ? tuple(params?.input) : (params?.input ?? array(unknown())),
        output: params?.output ?? unknown(),
    });
}


// EXTERNAL MODULE: ./lib/errors.js
var errors = __nccwpck_require__(452);
// EXTERNAL MODULE: ./lib/db/tls.js
var tls = __nccwpck_require__(6203);
// EXTERNAL MODULE: ./lib/inputs.js
var inputs = __nccwpck_require__(646);
// EXTERNAL MODULE: ./lib/migrations/retention.js
var migrations_retention = __nccwpck_require__(8155);
;// CONCATENATED MODULE: ./lib/config.js






/** Bad inputs, all of them at once; each problem names its input, the value and the fix. */
class ConfigError extends errors/* UserError */.yo {
    problems;
    constructor(problems) {
        super(problems.join(' | '));
        this.name = 'ConfigError';
        this.problems = problems;
    }
}
/** node-pg-migrate 9's own advisory lock key (its --lock-value default). */
const NODE_PG_MIGRATE_LOCK_KEY = 7241865325823964n;
/** The `migrations.id` column is an `integer`. */
const MAX_MIGRATION_ID = 2_147_483_647;
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];
// zod/mini: the same validation engine as zod's classic API with a fraction of its load time (measured
// by `npm run bench`: ~9 ms instead of ~18 ms of every run).
const config_boolean = pipe(schemas_string().check(_trim(), refine((v) => TRUE.includes(v) || FALSE.includes(v), { message: 'is not a boolean; use true or false' })), transform((v) => TRUE.includes(v)));
/** A whole number of seconds (or count) in [0, max]; the message names the input and shows an example. */
function wholeNumber(input, max, unit, example) {
    return pipe(pipe(schemas_string().check(_trim(), _regex(/^\d+$/, { message: `is not a whole number of ${unit}; use e.g. ${input}: ${example}` })), transform(Number)), schemas_number().check(_lte(max, { message: `is above the maximum of ${max} ${unit}` })));
}
const config_schemas = {
    command: schemas_enum(inputs/* COMMANDS */.Lo, {
        message: `is not a command; use one of ${inputs/* COMMANDS */.Lo.join(', ')}`,
    }),
    engine: schemas_enum(inputs/* ENGINES */.ug, { message: `is not a supported engine; use one of ${inputs/* ENGINES */.ug.join(', ')}` }),
    'lock-key': schemas_string().check(_trim(), _regex(/^-?\d{1,19}$/, { message: 'is not a bigint; use a whole number such as 123456' }), refine((v) => !/^-?\d{1,19}$/.test(v) || (BigInt(v) >= -(2n ** 63n) && BigInt(v) < 2n ** 63n), { message: 'is outside the bigint range (-9223372036854775808 to 9223372036854775807)' })),
    'lock-wait-timeout': wholeNumber('lock-wait-timeout', 86_400, 'seconds', '300'),
    'wait-timeout': wholeNumber('wait-timeout', 3_600, 'seconds', '60'),
    'lock-retries': wholeNumber('lock-retries', 100, 'retries', '3'),
    summary: config_boolean,
    comment: config_boolean,
    backup: pipe(schemas_string().check(_trim(), refine((v) => inputs/* BACKUP_MODES */.CU.includes(v.toLowerCase()), { message: `is not a backup mode; use ${inputs/* BACKUP_MODES */.CU.join(', ')}` })), transform((v) => v.toLowerCase())),
    'dry-run': config_boolean,
    lint: schemas_enum(inputs/* LINT_MODES */.Fz, { message: `is not a lint mode; use ${inputs/* LINT_MODES */.Fz.join(', ')}` }),
    'backup-format': schemas_enum(inputs/* BACKUP_FORMATS */.cD, { message: `is not a backup format; use ${inputs/* BACKUP_FORMATS */.cD.join(' or ')}` }),
    'target-revision': pipe(schemas_string().check(_trim(), _regex(/^(|-[1-9][0-9]{0,5}|[A-Za-z0-9][A-Za-z0-9_.-]{0,254})$/, {
        message: "is not a migration id; use the engine's id of a migration (postgres-migrations: the number at the start of a file name, e.g. 12), or for rollback 0, base or -N",
    })), transform((v) => (v === '' ? undefined : v))),
};
/** Show a value in a message: quoted, shortened, single line. Never called with the database URL. */
function show(value) {
    const flat = value.replace(/\s+/g, ' ');
    return JSON.stringify(flat.length > 60 ? `${flat.slice(0, 57)}...` : flat);
}
function parseConfig(raw, places) {
    const { workspace } = places;
    const problems = [];
    const field = (input, schema) => {
        const result = schema.safeParse(raw[input]);
        if (result.success)
            return result.data;
        problems.push(`Input ${input} ${show(raw[input])} ${result.error.issues[0]?.message ?? 'is invalid'}.`);
        return undefined;
    };
    const command = field('command', config_schemas.command);
    const engine = field('engine', config_schemas.engine);
    const lockKey = field('lock-key', config_schemas['lock-key']);
    const lockWait = field('lock-wait-timeout', config_schemas['lock-wait-timeout']);
    const wait = field('wait-timeout', config_schemas['wait-timeout']);
    const lockRetries = field('lock-retries', config_schemas['lock-retries']);
    const summary = field('summary', config_schemas.summary);
    const comment = field('comment', config_schemas.comment);
    const targetRevision = field('target-revision', config_schemas['target-revision']);
    const backup = field('backup', config_schemas.backup);
    const backupFormat = field('backup-format', config_schemas['backup-format']);
    const dryRun = field('dry-run', config_schemas['dry-run']);
    const lint = field('lint', config_schemas.lint);
    const retentionText = raw['backup-retention'].trim();
    const retention = (0,migrations_retention/* parseRetention */.Ay)(retentionText);
    if (typeof retention === 'string')
        problems.push(`Input backup-retention ${show(retentionText)} ${retention}.`);
    const rollback = command === 'rollback' && targetRevision !== undefined ? rollbackTarget(targetRevision) : undefined;
    if (command === 'rollback' && targetRevision === undefined && raw['target-revision'].trim() === '') {
        problems.push('Input target-revision is required for command rollback; set it to the revision to go back to (0 or base: nothing applied), or -1 to undo the last migration.');
    }
    if (command !== undefined && command !== 'rollback' && targetRevision?.startsWith('-')) {
        problems.push(`Input target-revision ${show(targetRevision)} counts back from the applied revision, which only command rollback does; use a migration id.`);
    }
    if (dryRun === true && command !== undefined && command !== 'rollback') {
        problems.push(`Input dry-run is only for command rollback; to see what ${command} would do without changing anything, use command plan.`);
    }
    // postgres-migrations' ids are numbers (the migrations.id column): checked here with the other inputs.
    // Other engines' ids are checked against their files.
    if (engine === 'postgres-migrations' && targetRevision !== undefined && !targetRevision.startsWith('-') && (rollback === undefined || rollback.kind === 'revision')) {
        const id = /^\d+$/.test(targetRevision) ? Number(targetRevision) : NaN;
        if (Number.isNaN(id)) {
            problems.push(`Input target-revision ${show(targetRevision)} is not a migration id; use the number at the start of a file name, e.g. 12.`);
        }
        else if (id < 1 && command !== 'rollback') {
            problems.push(`Input target-revision ${show(targetRevision)} must be 1 or more (0 means no migration).`);
        }
        else if (id > MAX_MIGRATION_ID) {
            problems.push(`Input target-revision ${show(targetRevision)} is larger than any migration id can be (ids are at most ${MAX_MIGRATION_ID}, the integer column's limit).`);
        }
    }
    // node-pg-migrate takes this key itself: holding it, we would make it fail ("Another migration is already running").
    if (engine === 'node-pg-migrate' && lockKey !== undefined && BigInt(lockKey) === NODE_PG_MIGRATE_LOCK_KEY) {
        problems.push(`Input lock-key ${lockKey} is node-pg-migrate's own lock key, which it takes itself while it runs; leave lock-key at its default, or use your application's own key.`);
    }
    if (command === 'baseline' && raw['target-revision'].trim() === '') {
        problems.push('Input target-revision is required for command baseline; set it to the id of the last migration the database already has.');
    }
    const endpoint = parseDatabaseUrl(raw['database-url'], problems, places.emptyDatabaseUrlHint);
    const shadowUrl = raw['shadow-database-url'].trim();
    const shadowEndpoint = shadowUrl === '' ? undefined : parseDatabaseUrl(shadowUrl, problems, undefined, 'shadow-database-url');
    const settings = parseSettings(raw.settings, problems);
    const dirLabel = raw['migrations-dir'].trim();
    if (dirLabel === '') {
        problems.push('Input migrations-dir is empty; set it to the directory that holds the migration files, e.g. migrations.');
    }
    const python = raw.python.trim();
    if (python === '')
        problems.push('Input python is empty; set it to the interpreter that has Alembic installed, e.g. python3 or .venv/bin/python.');
    const alembicConfig = raw['alembic-config'].trim();
    if (alembicConfig === '')
        problems.push('Input alembic-config is empty; set it to your Alembic configuration file, e.g. alembic.ini.');
    if (problems.length > 0)
        throw new ConfigError(problems);
    const enginePath = raw['engine-path'].trim();
    const backupDir = raw['backup-dir'].trim();
    const pgDumpPath = raw['pg-dump-path'].trim();
    return Object.freeze({
        command: command,
        engine: engine,
        // As a number's text for postgres-migrations (`007` is 7), as given for the other engines.
        targetRevision: engine === 'postgres-migrations' && targetRevision !== undefined && /^\d+$/.test(targetRevision) ? String(Number(targetRevision)) : targetRevision,
        rollback: nativeIds(rollback, engine),
        dryRun: dryRun,
        lockKey: BigInt(lockKey).toString(),
        tools: Object.freeze({
            // A bare name is looked up on PATH (an activated virtualenv's python first), a path from the workspace.
            python: python.includes('/') ? external_node_path_.resolve(workspace, python) : python,
            alembicConfig: external_node_path_.resolve(workspace, alembicConfig),
            alembicConfigLabel: alembicConfig,
            enginePath: enginePath === '' ? undefined : enginePath.includes('/') ? external_node_path_.resolve(workspace, enginePath) : enginePath,
        }),
        workspace: external_node_path_.resolve(workspace),
        // auto: a rollback usually drops something, so it is backed up; apply is not, as before.
        backup: backup === 'true' || (backup === 'auto' && command === 'rollback')
            ? Object.freeze({
                dir: backupDir === '' ? external_node_path_.join(places.tempDir, 'migrate-backups') : external_node_path_.resolve(workspace, backupDir),
                format: backupFormat,
                pgDumpPath: pgDumpPath === '' ? undefined : external_node_path_.resolve(workspace, pgDumpPath),
                retention: typeof retention === 'object' ? retention : undefined,
            })
            : undefined,
        databaseUrl: raw['database-url'].trim(),
        endpoint: endpoint,
        shadow: shadowEndpoint === undefined
            ? undefined
            : Object.freeze({ url: shadowUrl, endpoint: shadowEndpoint, pgDumpPath: pgDumpPath === '' ? undefined : external_node_path_.resolve(workspace, pgDumpPath) }),
        migrationsDir: external_node_path_.resolve(workspace, dirLabel),
        migrationsDirLabel: dirLabel,
        lockWaitTimeoutMs: lockWait * 1000,
        waitTimeoutMs: wait * 1000,
        settings: Object.freeze(settings),
        lockRetries: lockRetries,
        summary: summary,
        lint: lint,
        comment: comment ? Object.freeze({ githubToken: raw['github-token'].trim(), gitlabToken: raw['gitlab-token'].trim() }) : undefined,
    });
}
/** postgres-migrations' ids are numbers: `007` is 7, `00` is none. Pure. */
function nativeIds(target, engine) {
    if (target?.kind !== 'revision' || engine !== 'postgres-migrations')
        return target;
    const id = Number(target.id);
    return id === 0 ? { kind: 'base' } : { kind: 'revision', id: String(id) };
}
/** target-revision for rollback: `0` and `base` mean nothing applied, `-N` the last N. Pure. */
function rollbackTarget(value) {
    if (value === '0' || value === 'base')
        return { kind: 'base' };
    if (/^-\d+$/.test(value))
        return { kind: 'steps', count: Number(value.slice(1)) };
    return { kind: 'revision', id: value };
}
/** Validate the URL without ever putting it (or its password) in a message. */
function parseDatabaseUrl(value, problems, emptyHint, input = 'database-url') {
    const text = value.trim();
    const fail = (why) => {
        problems.push(`Input ${input} ${why}.`);
        return undefined;
    };
    if (text === '') {
        if (emptyHint)
            return fail(`is empty: ${emptyHint}`);
        return fail('is empty: the secret is probably not available to this event (a pull request from a fork, or an environment ' +
            'secret read by a job without that environment); pass it as database-url: ${{ secrets.DATABASE_URL }} ' +
            'from a workflow and event that can read it');
    }
    // Only something followed by :// is shown as a scheme: a secret holding just `password:more` must not be echoed.
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text)?.[1];
    if (scheme === undefined) {
        return fail('is not a URL; use postgres://user:password@host:5432/database');
    }
    if (!['postgres', 'postgresql'].includes(scheme.toLowerCase())) {
        return fail(`has scheme "${scheme.slice(0, 20)}:", which is not PostgreSQL; use postgres://user:password@host:5432/database`);
    }
    if (/\s/.test(text)) {
        return fail('contains whitespace; remove it, or percent-encode it in the password (a space is %20)');
    }
    let url;
    // libpq allows user@/db?host=/socket/dir (no host before the path); WHATWG URL does not.
    const noHost = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@(?=[/?#]|$)/.test(text);
    try {
        url = new URL(noHost ? text.replace(/@(?=[/?#]|$)/, '@localhost') : text);
    }
    catch {
        return fail('cannot be parsed as a URL; percent-encode special characters in the user name and password ' +
            '(@ as %40, : as %3A, / as %2F, # as %23, % as %25)');
    }
    const decode = (part, what) => {
        try {
            return decodeURIComponent(part);
        }
        catch {
            fail(`has bad percent-encoding in the ${what}; write each special character as % and two hex digits (% itself as %25)`);
            return undefined;
        }
    };
    const user = decode(url.username, 'user name');
    const password = decode(url.password, 'password');
    const rawDatabase = url.pathname.replace(/^\//, '');
    if (user === undefined || password === undefined || decode(rawDatabase, 'database name') === undefined)
        return undefined;
    // As pg (pg-connection-string) reads it: decodeURI, so %2F or %40 stay as written.
    const database = decodeURI(rawDatabase);
    // pg lets ?host=, ?port= and ?user= override the URL's own parts; describe what it will connect to.
    const query = (name) => url.searchParams.get(name) || '';
    const host = query('host') || (noHost ? '' : url.hostname.replace(/^\[|\]$/g, ''));
    if (host === '') {
        return fail('has no host; use postgres://user:password@host:5432/database');
    }
    if (database === '' || database.includes('/') || database.includes('@')) {
        return fail(database === ''
            ? 'has no database name; add it after the host, e.g. postgres://user:password@host:5432/app'
            : `has a "${database.includes('/') ? '/' : '@'}" in the database name, so the password probably contains an unencoded "/"; ` +
                'percent-encode special characters in the password (/ as %2F, @ as %40)');
    }
    const sslmode = url.searchParams.get('sslmode');
    if (sslmode === 'no-verify') {
        return fail("has sslmode=no-verify, which is the pg driver's own word and not libpq's, so pg_dump rejects it; use sslmode=require " +
            '(encrypted, certificate not checked), or verify-full with sslrootcert');
    }
    if (sslmode !== null && !tls/* SSL_MODES */.yj.includes(sslmode)) {
        return fail(`has sslmode=${sslmode.slice(0, 20)}, which is not an SSL mode; use one of ${tls/* SSL_MODES */.yj.join(', ')}`);
    }
    if (url.searchParams.get('sslrootcert') === 'system' && sslmode !== null && sslmode !== 'verify-full') {
        return fail(`has sslmode=${sslmode} with sslrootcert=system, which libpq refuses (the system's CAs only make sense with verify-full); use sslmode=verify-full or leave sslmode out`);
    }
    const ssl = url.searchParams.get('ssl');
    if (ssl !== null) {
        return fail('has ssl=…, which is the pg driver\'s own parameter (libpq and pg_dump reject it); use sslmode=require to encrypt, or sslmode=verify-full with sslrootcert to also verify the server');
    }
    const port = Number(query('port') || url.port || 5432);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
        return fail('has a port that is not a number from 1 to 65535; use e.g. postgres://user:password@host:5432/database');
    }
    return { user: query('user') || user || '(default user)', host, port, database };
}
/**
 * Settings whose values PostgreSQL documents as plain configuration (timeouts, paths, roles, memory,
 * formats): only these are shown in the log. Any other setting (e.g. app.jwt_secret) is named without
 * its value.
 */
const PLAIN_SETTINGS = new Set([
    'application_name', 'check_function_bodies', 'client_encoding', 'client_min_messages', 'datestyle',
    'default_statistics_target', 'default_tablespace', 'default_transaction_isolation', 'default_transaction_read_only',
    'extra_float_digits', 'idle_in_transaction_session_timeout', 'idle_session_timeout', 'intervalstyle', 'lc_messages',
    'lock_timeout', 'log_min_duration_statement', 'maintenance_io_concurrency', 'maintenance_work_mem',
    'max_parallel_maintenance_workers', 'role', 'search_path', 'statement_timeout', 'synchronous_commit', 'temp_buffers',
    'temp_tablespaces', 'timezone', 'transaction_timeout', 'work_mem',
]);
/** The settings as the log shows them: `name=value` for plain settings, the name alone for others. Pure. */
function describeSettings(settings) {
    return settings.map(({ name, value }) => (PLAIN_SETTINGS.has(name.toLowerCase()) ? `${name}=${value}` : `${name} (value not shown)`)).join(', ');
}
/** `name=value` lines; blank lines and `#` comments are ignored. */
function parseSettings(value, problems) {
    const settings = [];
    const seen = new Set();
    value.split(/\r?\n/).forEach((line, index) => {
        const text = line.trim();
        if (text === '' || text.startsWith('#'))
            return;
        // A settings line may hold a secret (app.jwt_secret=…): a message names its line and, once it is
        // known to be one, the setting's name, never the text.
        const where = `Input settings line ${index + 1}`;
        const eq = text.indexOf('=');
        if (eq < 0) {
            problems.push(`${where} is not name=value; write e.g. lock_timeout=5s.`);
            return;
        }
        const name = text.slice(0, eq).trim();
        const settingValue = text.slice(eq + 1).trim();
        if (!SETTING_NAME.test(name)) {
            problems.push(`${where} has no valid setting name before "="; write a PostgreSQL parameter name such as lock_timeout=5s.`);
        }
        else if (settingValue === '') {
            problems.push(`${where} (${name}) has an empty value; write e.g. ${name}=5s.`);
        }
        else if (seen.has(name.toLowerCase())) {
            problems.push(`${where} sets ${name} a second time; keep one line per setting.`);
        }
        else {
            seen.add(name.toLowerCase());
            settings.push({ name, value: settingValue });
        }
    });
    return settings;
}

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __nccwpck_require__(1421);
;// CONCATENATED MODULE: ./lib/migrations/js-loader.js


/**
 * `.js` migrations are code: loading one runs it. They are loaded in a child Node process, never in
 * ours, for three reasons:
 * - the bundler rewrites `import(expression)` in our own code into a lookup of modules it bundled, so
 *   user files can only be imported by a Node that was not bundled;
 * - a file that calls `process.exit()` or whose top-level `await` never settles must not end or hang
 *   the run (the deploy gate must stay shut): the child is watched and bounded in time;
 * - the file must not see the database secret: the child's environment has no `DATABASE_URL`,
 *   `INPUT_*`, `PG*`, runner command files or tokens, nor any variable that holds the secret.
 */
/** How long one file may take to load and return its SQL. */
const JS_LOAD_TIMEOUT_MS = 10_000;
/**
 * The child's program: load each file (ESM with `import()`; CommonJS also inside a `"type": "module"`
 * package, where Node would refuse it, as postgres-migrations' `require` would have read it), call
 * `generateSql()`, and send the result back. It speaks only over the IPC channel; what the files print
 * goes to pipes that the parent reads as plain text.
 */
const CHILD = String.raw `
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// --eval defines a global 'module', which would take a CommonJS file's 'module.exports = …' silently.
delete globalThis.module;
const send = (message) => new Promise((resolve) => process.send(message, () => resolve()));
const text = (error) => (error instanceof Error ? error.message : String(error));
// A migration file cannot end the run: process.exit() becomes an error of that file.
class ExitCalled extends Error {}
process.exit = (code) => {
  throw new ExitCalled('process.exit(' + (code === undefined ? '' : String(code)) + ')');
};
const problem = (kind, error) => (error instanceof ExitCalled ? { problem: 'exit', message: error.message } : { problem: kind, message: text(error) });

async function load(file) {
  try {
    const ns = await import(pathToFileURL(file).href);
    return typeof ns.generateSql === 'function' ? ns : (ns.default ?? ns);
  } catch (error) {
    if (!(error instanceof ReferenceError) || !/\b(module|exports|require) is not defined/.test(error.message)) throw error;
    const cjs = new Module(file);
    cjs.filename = file;
    cjs.paths = Module._nodeModulePaths(path.dirname(file));
    cjs._compile(readFileSync(file, 'utf8'), file);
    return cjs.exports;
  }
}

process.once('message', async (files) => {
  // Keeps this process alive while a file's top-level await is pending, so that a wait that never
  // settles meets the parent's time limit instead of ending the process quietly.
  const alive = setInterval(() => undefined, 1 << 30);
  for (const file of files) {
    await send({ kind: 'start', file });
    let result;
    try {
      const exported = await load(file);
      if (typeof exported?.generateSql !== 'function') {
        result = { problem: 'no-export' };
      } else {
        try {
          const sql = exported.generateSql();
          result = typeof sql === 'string' ? { sql } : { problem: 'not-string', type: sql === null ? 'null' : (typeof sql?.then === 'function' ? 'a Promise' : typeof sql) };
        } catch (error) {
          result = problem('threw', error);
        }
      }
    } catch (error) {
      result = problem('load', error);
    }
    await send({ kind: 'result', file, ...result });
  }
  clearInterval(alive);
  await send({ kind: 'done' });
  process.disconnect();
});
`;
/** Variables that carry a secret or let a file speak to the runner, by name. */
const SECRET_NAME = /^(DATABASE_URL|INPUT_.*|PG[A-Z].*|GITHUB_(OUTPUT|ENV|PATH|STATE|STEP_SUMMARY|TOKEN)|ACTIONS_.*|CI_JOB_(TOKEN|JWT.*)|CI_BUILD_TOKEN|CI_REPOSITORY_URL|CI_REGISTRY_PASSWORD|CI_DEPLOY_PASSWORD|CI_DEPENDENCY_PROXY_PASSWORD|.*_TOKEN|.*_PASSWORD)$/i;
/**
 * The environment a `.js` migration sees: ours without the variables above and without any variable
 * whose value is one of `secrets` or holds one of 12 characters or more (e.g. GitLab's variable named by
 * `database-url-variable`). Shorter forms are only matched whole: a password such as "postgres" would
 * otherwise take PATH away. Pure.
 */
function jsMigrationEnv(env, secrets) {
    const clean = {};
    const whole = new Set(secrets);
    const long = secrets.filter((secret) => secret.length >= 12);
    for (const [name, value] of Object.entries(env)) {
        if (value === undefined || SECRET_NAME.test(name))
            continue;
        if (whole.has(value.trim()) || long.some((secret) => value.includes(secret)))
            continue;
        clean[name] = value;
    }
    return clean;
}
/**
 * Run every file's `generateSql()` in one child process; returns the SQL by full path. Throws a
 * UserError naming the file for: a load error, no `generateSql` export, a throw, a non-string result,
 * `process.exit()`, the process ending early, or a file that takes longer than the time limit.
 */
function generateSqlInChild(files, options) {
    const timeoutMs = options.timeoutMs ?? JS_LOAD_TIMEOUT_MS;
    const labels = new Map(files.map((f) => [f.fullPath, f.label]));
    return new Promise((resolve, reject) => {
        const child = (0,external_node_child_process_.spawn)(process.execPath, ['--input-type=module', '--eval', CHILD], {
            cwd: options.cwd,
            env: options.env,
            stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
            serialization: 'advanced',
        });
        const results = new Map();
        let current;
        let settled = false;
        let timer;
        const labelOf = (file) => (file === undefined ? 'a .js migration' : (labels.get(file) ?? file));
        // Settle once the child is gone and its output read to the end, so that no line of it comes later.
        // Settled once the child has exited and its output is read; a process the file started may hold the
        // pipes open, so the output is waited for half a second at most.
        const exited = child.pid === undefined ? Promise.resolve() : new Promise((done) => child.on('exit', () => done()));
        const closed = exited.then(() => new Promise((done) => {
            const cut = setTimeout(() => {
                child.stdout?.destroy();
                child.stderr?.destroy();
                done();
            }, 500);
            child.on('close', () => {
                clearTimeout(cut);
                done();
            });
            if (child.stdout?.destroyed && child.stderr?.destroyed)
                done();
        }));
        const finish = (error) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            if (child.exitCode === null && child.signalCode === null)
                child.kill('SIGKILL');
            void closed.then(() => (error ? reject(error) : resolve(results)));
        };
        const fail = (file, why) => finish(new errors/* UserError */.yo(`Migration file ${labelOf(file)}${why.startsWith(':') ? '' : ' '}${why}`, {
            location: file === undefined ? undefined : { file: labelOf(file) },
        }));
        const arm = () => {
            clearTimeout(timer);
            timer = setTimeout(() => fail(current, `did not return its SQL within ${timeoutMs / 1000} s (a top-level await that never settles, or a generateSql() that never returns); ` +
                'make generateSql() return the SQL as a string without waiting on anything.'), timeoutMs);
        };
        for (const stream of [child.stdout, child.stderr]) {
            let rest = '';
            stream.setEncoding('utf8');
            stream.on('data', (chunk) => {
                const lines = (rest + chunk).split(/\r?\n/);
                rest = lines.pop();
                for (const line of lines)
                    options.output(line);
            });
            stream.on('end', () => rest && options.output(rest));
        }
        child.on('message', (message) => {
            if (message.kind === 'start') {
                current = message.file;
                arm();
            }
            else if (message.kind === 'result') {
                clearTimeout(timer);
                const why = problemText(message);
                if (why)
                    fail(message.file, why);
                else
                    results.set(message.file, message.sql);
            }
            else {
                finish();
            }
        });
        child.on('error', (error) => fail(current, `could not be loaded: cannot start Node.js to run it (${error.message}).`));
        child.on('exit', (code, signal) => {
            if (settled)
                return;
            fail(current, `ended the process that loads it (${signal ? `signal ${signal}` : `exit code ${code}`}) before generateSql() returned; ` +
                'a migration file cannot end the run: remove what ends the process (process.exit, process.kill, process.abort).');
        });
        const onAbort = () => fail(current, `was being loaded when the run was cancelled (${String(options.signal?.reason)}); nothing was applied.`);
        if (options.signal?.aborted)
            onAbort();
        else
            options.signal?.addEventListener('abort', onAbort, { once: true });
        void closed.then(() => options.signal?.removeEventListener('abort', onAbort));
        arm();
        child.send(files.map((f) => f.fullPath));
    });
}
function problemText(message) {
    switch (message.problem) {
        case undefined:
            return undefined;
        case 'no-export':
            return 'does not export a generateSql function; add export function generateSql() { return "..." }.';
        case 'not-string':
            return `: generateSql() returned ${message.type}, not a string; return the SQL as a string.`;
        case 'threw':
            return `: generateSql() threw: ${message.message}; fix the function.`;
        case 'load':
            return `could not be loaded: ${message.message}; fix the JavaScript error.`;
        case 'exit':
            return `called ${message.message} while its SQL was being generated; a migration file cannot end the run: remove the call.`;
    }
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(8161);
;// CONCATENATED MODULE: ./lib/platform/github.js



/*
 * The runner's side of a JavaScript action: INPUT_* variables in, workflow commands (`::name k=v::data`)
 * on stdout, and the GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files. This writes exactly what @actions/core
 * writes for the calls we need (a test compares the two byte for byte). We do not load @actions/core at
 * run time because importing it evaluates its HTTP client (undici) for OIDC tokens, which we never
 * request: about 40 ms of every run, a third of a no-op's whole time (measured by `npm run bench`).
 */
/** Data part of a workflow command. */
function escapeData(value) {
    return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
/** Property value of a workflow command: also `:` and `,`, which separate properties. */
function escapeProperty(value) {
    return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
/** `::command k=v,k=v::message`, skipping empty properties, as the runner parses it. Pure. */
function workflowCommand(command, properties, message) {
    const props = Object.entries(properties)
        .filter(([, value]) => value !== undefined && value !== '' && value !== 0)
        .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
        .join(',');
    return `::${command}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}
/** The annotation's properties: where the runner shows it in the file view. */
function annotation(location) {
    if (!location)
        return {};
    return { title: 'migrate-action', file: location.file, line: location.line, col: location.column };
}
/**
 * `name<<delimiter` block for GITHUB_OUTPUT: the value may hold newlines; the random delimiter cannot
 * occur in it.
 */
function outputBlock(name, value, delimiter = `ghadelimiter_${(0,external_node_crypto_.randomUUID)()}`) {
    if (name.includes(delimiter) || value.includes(delimiter))
        throw new Error(`Output ${name} contains the delimiter ${delimiter}`);
    return `${name}<<${delimiter}${external_node_os_.EOL}${value}${external_node_os_.EOL}${delimiter}${external_node_os_.EOL}`;
}
/** GitHub Actions: INPUT_* variables, step outputs, groups, annotations, job summary. */
function githubPlatform(env = process.env, write = (text) => process.stdout.write(text)) {
    const line = (text) => write(`${text}${external_node_os_.EOL}`);
    // An error annotated on its file already is the failure; do not annotate it a second time.
    let annotated;
    return {
        env,
        forge: { name: 'github', tokenInput: 'github-token' },
        workspace: env.GITHUB_WORKSPACE || process.cwd(),
        tempDir: env.RUNNER_TEMP || external_node_os_.tmpdir(),
        getInput: (name) => (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim(),
        mask: (secret) => line(workflowCommand('add-mask', {}, secret)),
        info: (message) => {
            // Text we did not write ourselves (a file name, a server's message, a child's output) may hold
            // a line break followed by a workflow command: such a message goes out between
            // ::stop-commands:: and a token it cannot know, so that the runner reads none of it.
            // The legacy ##[command] form is read anywhere in a line, the :: form at its start.
            if (/[\r\n]/.test(message) || /^\s*::/.test(message) || message.includes('##[')) {
                const token = `migrate-action-${(0,external_node_crypto_.randomUUID)()}`;
                line(`::stop-commands::${token}`);
                for (const part of message.split(/\r\n|\r|\n/))
                    line(part);
                line(`::${token}::`);
            }
            else {
                line(message);
            }
        },
        warning: (message, location) => line(workflowCommand('warning', annotation(location), message)),
        error: (message, location) => {
            annotated = message;
            line(workflowCommand('error', annotation(location), message));
        },
        group: async (title, fn) => {
            line(workflowCommand('group', {}, title));
            try {
                return await fn();
            }
            finally {
                line('::endgroup::');
            }
        },
        setOutput: (name, value) => {
            if (env.GITHUB_OUTPUT) {
                (0,external_node_fs_.appendFileSync)(env.GITHUB_OUTPUT, outputBlock(name, value), 'utf8');
            }
            else {
                // Runners older than the output file read the deprecated command.
                write(external_node_os_.EOL);
                line(workflowCommand('set-output', { name }, value));
            }
        },
        writeSummary: async (markdown) => {
            if (!env.GITHUB_STEP_SUMMARY)
                return;
            (0,external_node_fs_.appendFileSync)(env.GITHUB_STEP_SUMMARY, `${markdown}${external_node_os_.EOL}`, 'utf8');
        },
        fail: (message, location) => {
            if (annotated !== message)
                line(workflowCommand('error', annotation(location), message));
            process.exitCode = 1;
        },
    };
}

// EXTERNAL MODULE: ./lib/report.js
var report = __nccwpck_require__(9293);
// EXTERNAL MODULE: ./lib/db/connect.js
var connect = __nccwpck_require__(3688);
// EXTERNAL MODULE: ./lib/db/session.js
var session = __nccwpck_require__(3794);
;// CONCATENATED MODULE: ./lib/db/lock.js



/**
 * postgres-migrations' advisory lock key, the default of input lock-key for every engine. Using the same
 * key means an application that still runs postgres-migrations on start-up and this job exclude each other.
 */
const MIGRATION_LOCK_KEY = (/* unused pure expression or super */ null && (DEFAULT_LOCK_KEY));
/** The key as SQL text: config.ts has checked it is a bigint; checked again, as it is written into SQL. */
function keySql(key) {
    if (!/^-?\d{1,19}$/.test(key))
        throw new Error(`not a bigint lock key: ${JSON.stringify(key)}`);
    return `'${key}'::int8`;
}
/** The lock's key as pg_locks shows it, for a WHERE clause. */
function isOurLock(key) {
    return `l.locktype = 'advisory' AND l.objsubid = 1 AND ((l.classid::int8 << 32) | l.objid::int8) = ${keySql(key)}`;
}
/**
 * Whether the backend running the statement holds the lock already. A new session never does: if it
 * does, a pooler gave us a server session that another client left the lock on.
 */
function alreadyHeld(key) {
    return `EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = pg_backend_pid() AND l.granted AND ${isOurLock(key)})`;
}
/**
 * Take the session-level migration lock, waiting at most `timeoutMs` (0 = do not wait). The wait is a
 * blocking `pg_advisory_lock` bounded by `lock_timeout`, so a waiter wakes the moment the lock is freed.
 * On timeout the error names who holds the lock. Returns the server process that holds it now; throws
 * poolerError when that session held it before we asked (it is then not ours to release).
 *
 * With `onlyInBackend`, the lock is taken only if the statement runs in that server process (the one
 * the connection was made to), else `undefined` is returned and nothing is taken: so the first attempt
 * can go out together with the connection's first statement, and only a pooled connection, checked
 * first, costs more.
 */
async function acquireMigrationLock(client, key, timeoutMs, onlyInBackend) {
    const ALREADY_HELD = alreadyHeld(key);
    const elsewhere = onlyInBackend === undefined ? '' : `WHEN pg_backend_pid() <> ${Math.trunc(onlyInBackend)} THEN 'elsewhere' `;
    if (timeoutMs === 0) {
        const { rows } = await client.query(`SELECT pg_backend_pid() AS pid, CASE ${elsewhere}WHEN ${ALREADY_HELD} THEN 'held' WHEN pg_try_advisory_lock(${keySql(key)}) THEN 'taken' ELSE 'busy' END AS lock`);
        const { pid, lock } = rows[0];
        if (lock === 'elsewhere')
            return undefined;
        if (lock === 'held')
            throw (0,session/* poolerError */.cG)(`the server session we were given (pid ${pid}) already held the migration lock, taken by another client`);
        if (lock === 'taken')
            return pid;
        throw new errors/* UserError */.yo(`Another run holds the migration lock (${await describeLockHolder(client, key)}) and lock-wait-timeout is 0; ` +
            'wait for it to finish, or raise lock-wait-timeout.');
    }
    // Issued together (one round trip in pipeline mode); RESET runs whether or not the lock was taken.
    const [set, lock] = await Promise.allSettled([
        client.query(`SET lock_timeout = ${Math.ceil(timeoutMs)}`),
        client.query(`SELECT pg_backend_pid() AS pid, CASE ${elsewhere}WHEN ${ALREADY_HELD} THEN 'held' ELSE (SELECT 'taken' FROM (SELECT pg_advisory_lock(${keySql(key)})) s) END AS lock`),
        client.query('RESET lock_timeout'),
    ]);
    if (set.status === 'rejected')
        throw set.reason;
    if (lock.status === 'rejected') {
        const error = lock.reason;
        if (error.code !== '55P03')
            throw error;
        throw new errors/* UserError */.yo(`Timed out after lock-wait-timeout (${Math.round(timeoutMs / 1000)} s) waiting for the migration lock, held by ` +
            `${await describeLockHolder(client, key)}; wait for that run to finish, end that session if it is stuck ` +
            '(SELECT pg_terminate_backend(pid)), or raise lock-wait-timeout.', { cause: error });
    }
    const { pid, lock: outcome } = lock.value.rows[0];
    if (outcome === 'elsewhere')
        return undefined;
    if (outcome === 'held')
        throw (0,session/* poolerError */.cG)(`the server session we were given (pid ${pid}) already held the migration lock, taken by another client`);
    return pid;
}
/**
 * Release the lock held by server process `lockPid`. A failure is only a warning: the lock also ends
 * with the session. When our statement does not reach that session (a pooler moved us), the lock would
 * stay on a server connection the pooler keeps open for others: that session is ended if it is idle,
 * which frees the lock (the pooler opens a new one when it needs it).
 */
async function releaseMigrationLock(client, key, lockPid, log) {
    try {
        const { rows } = await client.query(`SELECT pg_backend_pid() AS pid, pg_backend_pid() = $1 AND pg_advisory_unlock(${keySql(key)}) AS released`, [lockPid]);
        if (rows[0].released)
            return;
        const { rows: ended } = await client.query(`SELECT pg_terminate_backend(a.pid) AS ended FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
        WHERE a.pid = $1 AND a.state = 'idle' AND l.granted AND ${isOurLock(key)}`, [lockPid]);
        log.warning(ended[0]?.ended
            ? `The migration lock was left on pooled server session pid ${lockPid}, which this run could no longer reach; that idle session was ended, which freed the lock.`
            : `Could not release the migration lock on server session pid ${lockPid} (this run's statements went to pid ${rows[0].pid}); ` +
                `it is freed when that session ends (SELECT pg_terminate_backend(${lockPid})).`);
    }
    catch (error) {
        log.warning(`Could not release the migration lock (${(0,errors/* messageOf */.bD)(error)}); it is released when the connection closes.`);
    }
}
/**
 * Who holds the lock, from pg_locks and pg_stat_activity: pid, role, application_name, client, since
 * when. PostgreSQL hides another role's client address, start time and state from roles without
 * pg_read_all_stats; the message says so rather than guess.
 */
async function describeLockHolder(client, key) {
    try {
        const { rows } = await client.query(`SELECT a.pid, a.usename, a.application_name, host(a.client_addr) AS client_addr, a.client_port, a.backend_start, a.state, current_user AS me
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.granted AND ${isOurLock(key)}
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
        const holder = rows[0];
        if (!holder)
            return 'a session that has since let it go';
        return describeHolder(holder, rows[0].me);
    }
    catch (error) {
        return `an unknown session (could not read pg_locks: ${(0,errors/* messageOf */.bD)(error)})`;
    }
}
/** One holder in words. Pure. */
function describeHolder(holder, viewer) {
    const parts = [`pid ${holder.pid}`];
    if (holder.usename)
        parts.push(`role "${holder.usename}"`);
    parts.push(`application_name "${holder.application_name ?? ''}"`);
    // client_port is -1 for a Unix socket; NULL (with client_addr) when hidden from this role.
    const hidden = holder.client_port === null && holder.client_addr === null;
    if (hidden) {
        parts.push(`client, start time and state hidden from role "${viewer}" (grant it pg_read_all_stats to see them)`);
    }
    else {
        parts.push(holder.client_port === -1 || holder.client_addr === null ? 'client local socket' : `client ${holder.client_addr}:${holder.client_port}`);
        if (holder.backend_start)
            parts.push(`connected since ${holder.backend_start.toISOString()}`);
        if (holder.state)
            parts.push(`state ${holder.state}`);
    }
    return parts.join(', ');
}

// EXTERNAL MODULE: external "node:url"
var external_node_url_ = __nccwpck_require__(3136);
;// CONCATENATED MODULE: ./lib/engines/spawn.js




/** How much of each stream is kept for error messages. */
const KEEP_BYTES = 64 * 1024;
/** A line of a tool's output longer than this is cut in the log (and one without an end, logged in pieces). */
const MAX_LINE_CHARS = 16 * 1024;
/** How much of a tool's output the log shows; the rest is counted, not shown. */
const MAX_LOGGED_CHARS = 10_000_000;
/** After the program has exited, how long what it started may keep its output open before we stop reading. */
const DRAIN_MS = 1_500;
/** After SIGTERM, how long a stopped engine gets before SIGKILL. */
const STOP_GRACE_MS = 5_000;
/**
 * The job's environment for an engine: the step's inputs are removed (on GitHub they hold the database
 * URL under INPUT_DATABASE-URL), then `extra` (the URL as DATABASE_URL) is set. Pure.
 */
function engineEnv(env, extra) {
    const out = {};
    for (const [name, value] of Object.entries(env)) {
        if (value === undefined || /^INPUT_/i.test(name) || name.startsWith('MIGRATE_INPUT_'))
            continue;
        out[name] = value;
    }
    return { ...out, ...extra };
}
/** A name for an engine's server sessions, unique to this run: they are found by it to be cancelled. */
function engineApplicationName(tool) {
    return `migrate-action-${tool}-${(0,external_node_crypto_.randomBytes)(4).toString('hex')}`;
}
/** `%XX` decoded, as libpq decodes a URL (`+` stays `+`); text that is not valid encoding stays as written. */
function spawn_decode(text) {
    try {
        return decodeURIComponent(text);
    }
    catch {
        return text;
    }
}
/** A query string's parameters in order, decoded as libpq decodes them. Pure. */
function queryParams(query) {
    return query
        .split('&')
        .filter((pair) => pair !== '')
        .map((pair) => {
        const eq = pair.indexOf('=');
        return eq < 0 ? [spawn_decode(pair), ''] : [spawn_decode(pair.slice(0, eq)), spawn_decode(pair.slice(eq + 1))];
    });
}
/**
 * `-c name=value` for the server's startup `options`, as PostgreSQL splits them: on any whitespace,
 * with a backslash escaping the next character. Pure.
 */
function settingsOptions(settings) {
    const escape = (text) => text.replace(/\\/g, '\\\\').replace(/\s/g, (space) => `\\${space}`);
    return settings.map(({ name, value }) => `-c ${escape(name)}=${escape(value)}`).join(' ');
}
/**
 * The connection URL an engine is given. Pure; the result is written with every part percent-encoded
 * the same way (libpq, pg, lib/pq and SQLAlchemy then all read the same user, password and host):
 * - user and password re-encoded, the host taken after the LAST `@` as our own connection does (an
 *   unencoded `@` in a password would otherwise split the URL elsewhere for some drivers);
 * - `application_name` set (replacing the user's), so that the run can find and cancel the engine's
 *   sessions;
 * - when the URL has no sslmode, the mode our own connection ended up with (`require` when it is
 *   encrypted, else `disable`), so the engine behaves as our connection did rather than by its driver's
 *   default; `extraParams` (a driver's own TLS switch) are added only then;
 * - the settings input added to the URL's `options` (the startup options every driver sends; a URL's
 *   own `options`, e.g. a provider's endpoint id, is kept in front of them).
 */
function engineUrl(url, applicationName, encrypted, settings = [], extraParams = {}) {
    const hash = url.indexOf('#');
    const base = hash < 0 ? url : url.slice(0, hash);
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(base)?.[0] ?? '';
    const afterScheme = base.slice(scheme.length);
    const authorityEnd = afterScheme.search(/[/?]/);
    const authority = authorityEnd < 0 ? afterScheme : afterScheme.slice(0, authorityEnd);
    const rest = authorityEnd < 0 ? '' : afterScheme.slice(authorityEnd);
    const at = authority.lastIndexOf('@');
    let userinfo = '';
    if (at >= 0) {
        const raw = authority.slice(0, at);
        const colon = raw.indexOf(':');
        const [user, password] = colon < 0 ? [raw, undefined] : [raw.slice(0, colon), raw.slice(colon + 1)];
        const encode = (text) => encodeURIComponent(spawn_decode(text));
        userinfo = `${encode(user)}${password === undefined ? '' : `:${encode(password)}`}@`;
    }
    const host = authority.slice(at + 1);
    const queryAt = rest.indexOf('?');
    const path = queryAt < 0 ? rest : rest.slice(0, queryAt);
    const params = new Map(queryParams(queryAt < 0 ? '' : rest.slice(queryAt + 1)));
    params.set('application_name', applicationName);
    if (!params.has('sslmode')) {
        params.set('sslmode', encrypted ? 'require' : 'disable');
        for (const [name, value] of Object.entries(extraParams))
            params.set(name, value);
    }
    if (settings.length > 0) {
        const own = params.get('options');
        params.set('options', own ? `${own} ${settingsOptions(settings)}` : settingsOptions(settings));
    }
    const query = [...params].map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
    return `${scheme}${userinfo}${host}${path}?${query}`;
}
/** The settings an engine's URL carries: the input's, then, for a probe that must change nothing, read-only transactions. Pure. */
function engineSettings(settings, options = {}) {
    return options.readOnly ? [...settings, { name: 'default_transaction_read_only', value: 'on' }] : settings;
}
/** Keeps the last KEEP_BYTES of a stream. */
class Tail {
    text = '';
    push(chunk) {
        this.text += chunk;
        if (this.text.length > 2 * KEEP_BYTES)
            this.text = this.text.slice(-KEEP_BYTES);
    }
    toString() {
        return this.text.slice(-KEEP_BYTES);
    }
}
/** util-linux's setpriv, which can set the parent-death signal of the program it then becomes. */
const SETPRIV = '/usr/bin/setpriv';
let setprivUsable;
/**
 * The command line that starts `program` so that it is killed if this process dies without stopping
 * it (SIGKILL, out of memory): our lock ends with our connection, and the tool must not go on migrating
 * without it. On Linux, `setpriv --pdeathsig KILL` sets the kernel's parent-death signal and then becomes
 * the program (same process, same group); its open transaction is rolled back when its connection
 * drops. Elsewhere, or for a program that is not an executable file, it is started as it is.
 */
function diesWithUs(program, args) {
    if (process.platform !== 'linux' || !external_node_path_.isAbsolute(program))
        return [program, [...args]];
    // util-linux before 2.33 has setpriv without --pdeathsig: its program text names the option or not
    // (read once, which costs less than starting it).
    setprivUsable ??= (() => {
        try {
            (0,external_node_fs_.accessSync)(SETPRIV, external_node_fs_.constants.X_OK);
            return (0,external_node_fs_.readFileSync)(SETPRIV).includes('pdeathsig');
        }
        catch {
            return false;
        }
    })();
    if (!setprivUsable)
        return [program, [...args]];
    try {
        (0,external_node_fs_.accessSync)(program, external_node_fs_.constants.X_OK);
    }
    catch {
        return [program, [...args]]; // let spawn report it as it is (ENOENT, EACCES)
    }
    return [SETPRIV, ['--pdeathsig', 'KILL', '--', program, ...args]];
}
/**
 * Start an engine's program: stdin closed, output streamed line by line into the log (the log redacts
 * secrets and keeps a line from being read as a runner command), a separate process group so that a
 * stop reaches what it starts. When `signal` aborts: SIGTERM to the group, SIGKILL after STOP_GRACE_MS.
 * `commandPipe` adds fd 4, which the program reads commands from.
 */
function launch(request, env, log, signal, commandPipe, onResult) {
    const [program, args] = diesWithUs(request.program, request.args);
    const child = (0,external_node_child_process_.spawn)(program, args, {
        cwd: request.cwd,
        env: engineEnv(env, request.env),
        stdio: ['ignore', 'pipe', 'pipe', ...(request.resultPipe || commandPipe ? ['pipe'] : []), ...(commandPipe ? ['pipe'] : [])],
        detached: process.platform !== 'win32',
        windowsHide: true,
    });
    const stdout = new Tail();
    const stderr = new Tail();
    let result = '';
    let quiet = request.quiet === true;
    let logged = 0;
    const log1 = (line) => {
        if (quiet || line.trim() === '')
            return;
        logged += line.length;
        if (logged <= MAX_LOGGED_CHARS)
            log.info(`${request.tool}: ${line.slice(0, MAX_LINE_CHARS)}${line.length > MAX_LINE_CHARS ? ` … (${line.length - MAX_LINE_CHARS} more characters)` : ''}`);
        else if (logged - line.length <= MAX_LOGGED_CHARS)
            log.info(`${request.tool}: … (more output not shown: the log keeps the first ${MAX_LOGGED_CHARS / 1_000_000} million characters of a tool's output)`);
    };
    const lineLogger = (tail) => {
        let partial = '';
        return {
            data: (text) => {
                tail.push(text);
                // Lines end at \n, \r\n or a lone \r (a progress bar); only the new text is searched, and a
                // line without an end is cut at MAX_LINE_CHARS, so output of any shape costs linear time.
                let start = 0;
                for (let i = 0; i < text.length; i += 1) {
                    const c = text.charCodeAt(i);
                    if (c !== 10 && c !== 13)
                        continue;
                    log1(partial + text.slice(start, i));
                    partial = '';
                    start = i + 1;
                }
                partial += text.slice(start);
                if (partial.length > MAX_LINE_CHARS) {
                    log1(partial);
                    partial = '';
                }
            },
            end: () => {
                log1(partial);
                partial = '';
            },
        };
    };
    const out = lineLogger(stdout);
    const err = lineLogger(stderr);
    // Decoded as streams: a character split across two chunks stays one character.
    child.stdout.setEncoding('utf8').on('data', out.data);
    child.stderr.setEncoding('utf8').on('data', err.data);
    child.stdio[3]?.on('data', (chunk) => {
        result += chunk.toString('utf8');
        onResult?.();
    });
    let killTimer;
    const kill = (sig) => {
        try {
            if (child.pid !== undefined && process.platform !== 'win32')
                process.kill(-child.pid, sig);
            else
                child.kill(sig);
        }
        catch {
            // Already gone.
        }
    };
    const stop = () => {
        kill('SIGTERM');
        killTimer = setTimeout(() => kill('SIGKILL'), STOP_GRACE_MS);
        killTimer.unref();
    };
    if (signal?.aborted)
        stop();
    else
        signal?.addEventListener('abort', stop, { once: true });
    // A program that leaves something running with its output open (a daemon an env.py starts) has
    // exited all the same: after DRAIN_MS its streams are closed, and what is left of its group stopped.
    let drainTimer;
    child.on('exit', () => {
        drainTimer = setTimeout(() => {
            kill('SIGTERM');
            for (const stream of child.stdio)
                stream?.destroy?.();
        }, DRAIN_MS);
        drainTimer.unref();
    });
    const done = new Promise((resolve, reject) => {
        child.on('error', (error) => {
            signal?.removeEventListener('abort', stop);
            if (killTimer)
                clearTimeout(killTimer);
            reject(error);
        });
        // 'close': the process has ended and its streams are drained.
        child.on('close', (code, sig) => {
            signal?.removeEventListener('abort', stop);
            if (killTimer)
                clearTimeout(killTimer);
            if (drainTimer)
                clearTimeout(drainTimer);
            out.end();
            err.end();
            resolve({ code, signal: sig, stdout: stdout.toString(), stderr: stderr.toString(), result });
        });
    });
    return {
        child,
        done,
        takeResult: () => {
            const taken = result;
            result = '';
            return taken;
        },
        setQuiet: (value) => {
            quiet = value;
        },
    };
}
/**
 * Run an engine's program to its end (see launch). Never rejects for the program's exit code; rejects
 * only when it cannot be started.
 */
function runEngineProgram(request, env, log, signal) {
    return launch(request, env, log, signal, false).done;
}
/**
 * Start a program that answers commands (see EngineSession), e.g. the Alembic helper started while the
 * run connects, so that Python's start overlaps ours. It is stopped like any engine program on abort.
 * A program that cannot be started answers every command with `ended` (code null, the error in stderr).
 */
function startEngineSession(request, env, log, signal) {
    let wake;
    const launched = launch(request, env, log, signal, true, () => wake?.());
    const ended = launched.done.catch((error) => ({
        code: null,
        signal: null,
        stdout: '',
        stderr: error instanceof Error ? error.message : String(error),
        result: '',
    }));
    let finished;
    void ended.then((result) => {
        finished = result;
        wake?.();
    });
    const commands = launched.child.stdio[4];
    commands?.on('error', () => undefined); // written after the program ended: the answer says so
    let buffered = '';
    return {
        async ask(command, quiet) {
            launched.setQuiet(quiet);
            if (!finished)
                commands?.write(`${command.replace(/\n/g, ' ')}\n`);
            for (;;) {
                buffered += launched.takeResult();
                const newline = buffered.indexOf('\n');
                if (newline >= 0) {
                    const answer = buffered.slice(0, newline);
                    buffered = buffered.slice(newline + 1);
                    return { answer };
                }
                if (finished)
                    return { ended: { ...finished, result: buffered } };
                await new Promise((resolve) => {
                    wake = resolve;
                });
                wake = undefined;
            }
        },
        async end() {
            // fd 4 closed: the program ends by itself. Its interpreter's shutdown is not waited for (the run's
            // result is known); it no longer keeps this process alive, and a stop still reaches its group.
            commands?.end();
            if (finished)
                return finished;
            launched.child.unref();
            for (const stream of launched.child.stdio)
                stream?.unref?.();
            return undefined;
        },
    };
}

// EXTERNAL MODULE: ./lib/engines/types.js
var types = __nccwpck_require__(2654);
;// CONCATENATED MODULE: ./lib/engines/tools.js




/**
 * Helpers shared by the engines that run a migration tool's own program (node-pg-migrate, dbmate):
 * finding the program, reading the migrations directory, turning an error position into a file line,
 * and telling what a run left applied.
 */
/** A file that can be run: a regular file (or a link to one) with an execute bit for us. */
function isExecutable(file) {
    try {
        if (!(0,external_node_fs_.statSync)(file).isFile())
            return false;
        (0,external_node_fs_.accessSync)(file, external_node_fs_.constants.X_OK);
        return true;
    }
    catch {
        return false;
    }
}
/**
 * The first `name` on `env.PATH` that can be run, as an absolute path; undefined when there is none.
 * Searched here rather than left to spawn: a missing program is then a one-line error before the
 * database is touched, and the log can say which one is used.
 */
function findOnPath(name, env) {
    for (const dir of (env.PATH ?? '').split(external_node_path_.delimiter)) {
        // An empty entry means the current directory to a shell; a job's PATH should not rely on that.
        if (dir === '')
            continue;
        const candidate = external_node_path_.resolve(dir, name);
        if (isExecutable(candidate))
            return candidate;
    }
    return undefined;
}
/**
 * The program input engine-path names: a path (already resolved against the workspace by the config)
 * must be a file we can run; a bare name is looked up on PATH. Throws a UserError naming the input.
 */
function programFromInput(enginePath, env) {
    if (!enginePath.includes('/')) {
        const found = findOnPath(enginePath, env);
        if (!found)
            throw new errors/* UserError */.yo(`Input engine-path "${enginePath}" is not on PATH; give the program's path (e.g. node_modules/.bin/${enginePath}), or install it.`);
        return found;
    }
    if (!isExecutable(enginePath)) {
        throw new errors/* UserError */.yo(`Input engine-path "${enginePath}" is not a program that can be run (missing, a directory, or not executable); point it at the tool's executable.`);
    }
    return enginePath;
}
/**
 * The entries of the migrations directory. A missing or unreadable directory is a UserError naming
 * migrations-dir as the user wrote it.
 */
function readMigrationsDir(dir, dirLabel) {
    try {
        if (!(0,external_node_fs_.statSync)(dir).isDirectory()) {
            throw new errors/* UserError */.yo(`migrations-dir "${dirLabel}" is a file, not a directory; point it at the directory of migration files.`);
        }
        return (0,external_node_fs_.readdirSync)(dir, { withFileTypes: true });
    }
    catch (error) {
        if (error instanceof errors/* UserError */.yo)
            throw error;
        const code = error.code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
            throw new errors/* UserError */.yo(`migrations-dir "${dirLabel}" does not exist; set migrations-dir to the directory of migration files, relative to the workspace (and check out the repository first).`, { cause: error });
        }
        throw new errors/* UserError */.yo(`migrations-dir "${dirLabel}" cannot be read (${code ?? (0,errors/* messageOf */.bD)(error)}); make it readable by the user that runs this step.`, { cause: error });
    }
}
/**
 * Whether a directory entry is a file once links are followed (a tool that reads it would find a file).
 * A broken link or a link to a directory is not.
 */
function isFileEntry(dir, entry) {
    if (entry.isFile())
        return true;
    if (!entry.isSymbolicLink())
        return false;
    try {
        return (0,external_node_fs_.statSync)(external_node_path_.join(dir, entry.name)).isFile();
    }
    catch {
        return false;
    }
}
/** A migration file's text, read as the tools read it (UTF-8). Throws a UserError naming the file. */
function readMigrationText(fullPath, label) {
    try {
        return (0,external_node_fs_.readFileSync)(fullPath, 'utf8');
    }
    catch (error) {
        const code = error.code;
        throw new errors/* UserError */.yo(`Migration file ${label} cannot be read (${code ?? (0,errors/* messageOf */.bD)(error)}); check that it exists and is readable.`, {
            cause: error,
            location: { file: label },
        });
    }
}
/** The real path of a program, following links (an npm bin is a link into its package). */
function realProgram(program) {
    try {
        return (0,external_node_fs_.realpathSync)(program);
    }
    catch {
        return program;
    }
}
/** The 1-based line of the character at `index` (a JS string index) of `text`. Pure. */
function lineAt(text, index) {
    let line = 1;
    const end = Math.min(Math.max(index, 0), text.length);
    for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1))
        line += 1;
    return line;
}
/**
 * The JS string index of the character the server's 1-based `position` points at, in a query that is
 * `text` from `start` on. The server counts characters (code points); JS strings count UTF-16 units,
 * which differ after a character outside the Basic Multilingual Plane. Clamped to the text. Pure.
 */
function indexOfPosition(text, start, position) {
    let index = start;
    for (let counted = 1; counted < position && index < text.length; counted += 1) {
        const code = text.codePointAt(index);
        index += code > 0xffff ? 2 : 1;
    }
    return Math.min(index, Math.max(text.length - 1, 0));
}
/**
 * A tool's output made safe for a one-line message: anything shaped like a connection URL is replaced,
 * whitespace collapsed, and the length bounded (the log has the whole output). Pure.
 */
function scrubbed(text, max = 500) {
    const flat = (0,errors/* oneLine */.TN)(text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>'));
    return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}
/** A revision in a message: its id, and its name when it has one. Pure. */
function revisionText(revision) {
    if (revision.none)
        return 'none (nothing applied)';
    return revision.name === '' ? revision.id : `${revision.id} (${revision.name})`;
}
/** The migrations of `toRun` that `after` records as applied, in the order of `toRun`. Pure. */
function recorded(toRun, after) {
    const applied = new Set(after.applied.map((record) => record.id));
    return toRun.filter((migration) => applied.has(migration.id));
}
/**
 * Tell the frame about each migration of `toRun` that `after` (the state read again once the tool has
 * exited) records as applied, in order, then the revision now. Returns the ones applied. Never trusts
 * the tool's own output: only the database says what is applied.
 */
function reportApplied(ctx, toRun, after) {
    const done = recorded(toRun, after);
    for (const migration of done) {
        const entry = { id: migration.id, fileName: migration.fileName, label: migration.label, transaction: migration.transaction };
        ctx.applied(entry);
    }
    ctx.revision(after.revision);
    return done;
}
/**
 * What a run that stopped half-way left applied, for the end of a one-line message: how many of
 * `toRun` are applied, which, and the revision. Pure.
 */
function appliedNow(toRun, done, after) {
    const revision = `the database is at revision ${revisionText(after.revision)}`;
    if (done.length === 0)
        return `none of the ${toRun.length} migration(s) of this run is applied; ${revision}`;
    if (done.length === toRun.length)
        return `all ${toRun.length} migration(s) of this run are applied; ${revision}`;
    return `${done.length} of the ${toRun.length} migration(s) of this run are applied (${(0,errors/* listed */.KE)(done.map((m) => m.fileName), 10)}); ${revision}`;
}
/**
 * Run the tool through the frame. A program that cannot be started at all (deleted since prepare, not
 * executable, a missing interpreter) is a one-line UserError rather than a crash.
 */
async function runTool(ctx, request, programLabel) {
    try {
        return await ctx.spawn(request);
    }
    catch (error) {
        throw cannotStart(request.tool, programLabel, error.code ?? (0,errors/* messageOf */.bD)(error), error);
    }
}
/** A tool's program that could not be started at all (missing, not executable): one line naming it. */
function cannotStart(tool, programLabel, why, cause) {
    return new errors/* UserError */.yo(`${tool} (${programLabel}) could not be started (${why}); check that it is installed in the job and can be run. Nothing was applied.`, { cause });
}
/**
 * The state read again after the tool exited. If that fails (the connection is gone), what is applied
 * cannot be told: the error says so and names the run's migrations.
 */
async function stateAfter(read, tool, toRun) {
    try {
        return await read();
    }
    catch (error) {
        throw new types/* EngineFailed */.c(`${tool} ran ${(0,errors/* listed */.KE)(toRun.map((m) => m.label), 10)}, but reading what is applied afterwards failed (${scrubbed((0,errors/* messageOf */.bD)(error), 200)}); ` +
            'which of them are applied is unknown: run status to see, then apply again.', { stateUnknown: true });
    }
}
/** How a program ended, for a message: `exit code 1` or `signal SIGTERM`. Pure. */
function howItEnded(result) {
    return result.signal ? `signal ${result.signal}` : `exit code ${String(result.code)}`;
}
/** The value of query parameter `name` in a connection URL; undefined when absent or unparsable. Pure. */
function urlParameter(url, name) {
    try {
        return new URL(url).searchParams.get(name) ?? undefined;
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./lib/engines/alembic.js







/*
 * Alembic, driven through its own API by a small Python helper (alembic_helper.py, shipped next to the
 * bundle) run with the project's interpreter: the revision graph lives in the .py files and the
 * alembic_version table holds only the current heads, so "applied" and "pending" can only be told by
 * Alembic itself. The helper runs env.py (its version table, schema and connection settings apply),
 * sets sqlalchemy.url from DATABASE_URL, and writes one JSON document to fd 3 (protocol: the helper's
 * docstring). Checked against Alembic 1.8.1 with SQLAlchemy 1.4 and psycopg2.
 */
const TOOL = 'alembic';
const HELPER = 'alembic_helper.py';
/** The helper's exit status for a failure it describes in its JSON. */
const EXIT_FAILED = 3;
/** The helper's exit status when Alembic is missing or too old. */
const EXIT_UNUSABLE = 4;
const MIN_VERSION = [1, 7];
const INSTALL_HINT = 'pip install alembic psycopg2-binary in that environment, or set input python to the interpreter of your virtualenv (e.g. .venv/bin/python)';
/**
 * Where alembic_helper.py is: next to the running module (src/engines/ from the sources, dist/ in the
 * bundle, where the build copies it). Throws when the package lacks it (a broken build, not the user's).
 */
function helperPath() {
    const here = external_node_path_.dirname((0,external_node_url_.fileURLToPath)(import.meta.url));
    const candidates = [external_node_path_.join(here, HELPER), external_node_path_.join(here, 'engines', HELPER)];
    const found = candidates.find((candidate) => (0,external_node_fs_.existsSync)(candidate));
    if (!found)
        throw new Error(`migrate-action's ${HELPER} is missing (looked in ${candidates.join(', ')}): the package is incomplete; reinstall it.`);
    return found;
}
/** The helper's command line: serve mode, which answers the run's commands (its other modes are for running it by hand). Pure. */
function helperArgs(helper, ini) {
    return [helper, 'serve', '-c', ini];
}
/** The helper's JSON, or undefined when it wrote none (it was killed, or Python could not run it). Pure. */
function parseHelperResult(text) {
    const trimmed = text.trim();
    if (trimmed === '')
        return undefined;
    try {
        const parsed = JSON.parse(trimmed);
        return typeof parsed === 'object' && parsed !== null && 'ok' in parsed ? parsed : undefined;
    }
    catch {
        return undefined;
    }
}
/** Whether an Alembic version is older than migrate-action supports. Pure. */
function isTooOld(version) {
    const [major, minor] = (/^(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
    if (major === undefined || minor === undefined)
        return false;
    return major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1]);
}
/** A path as the user would write it: relative to the workspace when inside it. Pure. */
function workspaceLabel(workspace, file) {
    const relative = external_node_path_.relative(workspace, file);
    return relative === '' || relative.startsWith('..') || external_node_path_.isAbsolute(relative) ? file : relative.split(external_node_path_.sep).join('/');
}
/** The revision the database is at: its heads joined by spaces (one row per head), named when there is one. Pure. */
function alembicRevision(state) {
    if (state.current.length === 0)
        return { id: '', name: '', none: true };
    const single = state.current.length === 1 ? state.applied.find((r) => r.revision === state.current[0]) : undefined;
    // Sorted: the version table's rows come in no fixed order, and the output must not change between runs.
    return { id: [...state.current].sort().join(' '), name: single?.doc ?? '' };
}
/** The helper's state as the frame sees it. Pure. */
function toEngineState(state, workspace) {
    return {
        revision: alembicRevision(state),
        applied: state.applied.map((r) => ({ id: r.revision, name: r.doc, fileName: external_node_path_.basename(r.path) })),
        pending: state.pending.map((r) => ({
            id: r.revision,
            name: r.doc,
            fileName: external_node_path_.basename(r.path),
            label: workspaceLabel(workspace, r.path),
            ...(r.sql !== undefined ? { sql: r.sql } : {}),
            ...(r.sql_note !== undefined ? { sqlNote: r.sql_note } : {}),
        })),
    };
}
/**
 * The revisions a target-revision names, as Alembic resolves an id: `head` (when there is one) and
 * `heads`, an exact id, else a unique prefix of an id longer than 3 characters. Returns a problem for
 * the message otherwise. Pure.
 */
function resolveTarget(state, target) {
    if (target === 'heads')
        return { ids: state.heads };
    if (target === 'head')
        return state.heads.length === 1 ? { ids: state.heads } : { problem: 'heads', matches: state.heads };
    const ids = [...state.applied, ...state.pending].map((r) => r.revision);
    if (ids.includes(target))
        return { ids: [target] };
    const matches = ids.filter((id) => id.length > 3 && id.startsWith(target));
    if (matches.length === 1)
        return { ids: matches };
    return { problem: matches.length === 0 ? 'unknown' : 'ambiguous', matches };
}
/**
 * The pending revisions an upgrade to `targets` runs: the targets and everything they need, that is
 * not applied yet, in the helper's order (base first). Pure.
 */
function pendingUpTo(state, targets) {
    const needs = new Map([...state.applied, ...state.pending].map((r) => [r.revision, r.needs]));
    const wanted = new Set();
    const stack = [...targets];
    while (stack.length > 0) {
        const id = stack.pop();
        if (wanted.has(id))
            continue;
        wanted.add(id);
        stack.push(...(needs.get(id) ?? []));
    }
    return state.pending.filter((r) => wanted.has(r.revision));
}
/**
 * The state for heads `current` read straight from the version table, with the revision graph of an
 * earlier state: for a run stopped so hard that the helper could not say what it left. Pure.
 */
function stateAtHeads(before, current) {
    const all = [...before.applied, ...before.pending];
    const byId = new Map(all.map((r) => [r.revision, r]));
    const applied = new Set();
    const stack = [...current];
    while (stack.length > 0) {
        const id = stack.pop();
        if (applied.has(id))
            continue;
        applied.add(id);
        stack.push(...(byId.get(id)?.needs ?? []));
    }
    const strip = (r) => ({ revision: r.revision, doc: r.doc, path: r.path, down_revision: r.down_revision, needs: r.needs });
    return {
        ...before,
        current,
        applied: all.filter((r) => applied.has(r.revision)).map(strip),
        pending: all.filter((r) => !applied.has(r.revision)).map(strip),
    };
}
/**
 * The revision the database is at once `undo` is undone: the heads of what stays applied (the revisions
 * no other remaining one needs). Pure.
 */
function revisionAfterUndo(state, undo) {
    const gone = new Set(undo);
    const remaining = state.applied.filter((r) => !gone.has(r.revision));
    const needed = new Set(remaining.flatMap((r) => r.needs));
    const heads = remaining.filter((r) => !needed.has(r.revision));
    if (heads.length === 0)
        return { id: '', name: '', none: true };
    return { id: heads.map((r) => r.revision).sort().join(' '), name: heads.length === 1 ? heads[0].doc : '' };
}
/** A heads list for a message: `b2 "left", c3 "right"`. Pure. */
function describeHeads(state, heads) {
    const docs = new Map([...state.applied, ...state.pending].map((r) => [r.revision, r.doc]));
    return heads.map((id) => (docs.get(id) ? `${id} "${docs.get(id)}"` : id)).join(', ');
}
/** The last non-empty line of a program's output, for a one-line message. Pure. */
function lastLine(text) {
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
    return lines[lines.length - 1]?.trim() ?? '';
}
/** ` (what it printed last)`, or nothing when it printed nothing. */
function printedLast(stderr) {
    const line = scrubbed(lastLine(stderr), 200);
    return line === '' ? ', printing nothing' : ` (${line})`;
}
/**
 * Alembic as an engine: the project's own alembic.ini, env.py and revisions, run with the project's
 * Python through alembic_helper.py. State: `state` (env.py with a function that only reads); apply:
 * `upgrade <target>`; baseline: `stamp <target>`. The helper runs in the directory of alembic.ini, as
 * `alembic` is run by hand (a relative script_location or prepend_sys_path means that directory).
 */
function alembicEngine(config, deps) {
    const ini = config.tools.alembicConfig;
    const iniLabel = config.tools.alembicConfigLabel;
    let helper = '';
    let python = config.tools.python;
    /** What each state the engine handed out was made from: within() needs the revision graph. */
    const graphs = new WeakMap();
    let announced = false;
    const label = (file) => workspaceLabel(config.workspace, file);
    function register(state) {
        const engineState = toEngineState(state, config.workspace);
        graphs.set(engineState, state);
        return engineState;
    }
    function graphOf(state) {
        const graph = graphs.get(state);
        if (!graph)
            throw new Error('alembic engine: within() was given a state this engine did not read');
        return graph;
    }
    /** The interpreter input python names, checked before anything runs. */
    function findPython() {
        const given = config.tools.python;
        if (given.includes('/')) {
            if (isExecutable(given))
                return given;
            throw new errors/* UserError */.yo(`Input python ${label(given)} is not a program that can be run (missing, a directory, or not executable); ` +
                'set it to the interpreter that has Alembic installed, e.g. .venv/bin/python (create the virtualenv in an earlier step).');
        }
        const found = findOnPath(given, deps.env);
        if (!found) {
            throw new errors/* UserError */.yo(`Input python "${given}" is not on PATH; install Python 3 with Alembic in the job (pip install alembic psycopg2-binary), ` +
                'or set python to the interpreter of your virtualenv, e.g. .venv/bin/python.');
        }
        return found;
    }
    /**
     * The helper, started in prepare() in serve mode: Python and Alembic load while the run connects and
     * takes its lock, and every command of the run (state, then upgrade or stamp) goes to the same process.
     */
    let session;
    /** A result as a program's, from the session's answer (or its end). */
    async function ask(ctx, command, quiet) {
        const env = { DATABASE_URL: ctx.engineUrl() };
        const reply = await ctx.busy(() => session.ask(JSON.stringify({ ...command, env }), quiet));
        if ('ended' in reply) {
            const { ended } = reply;
            if (ended.code === null && ended.signal === null) {
                throw cannotStart(TOOL, config.tools.python, scrubbed(ended.stderr, 120));
            }
            return ended;
        }
        const doc = parseHelperResult(reply.answer);
        return { code: doc?.ok ? 0 : EXIT_FAILED, signal: null, stdout: '', stderr: '', result: reply.answer };
    }
    /** Ask the helper; turns "cannot use this Python" (nothing ran) into one-line errors naming input python. */
    async function runHelper(ctx, command, quiet) {
        const result = await ask(ctx, command, quiet);
        const doc = parseHelperResult(result.result);
        const pythonLabel = config.tools.python.includes('/') ? label(config.tools.python) : config.tools.python;
        if (doc?.error?.kind === 'missing' || (result.code === EXIT_UNUSABLE && !doc)) {
            throw new errors/* UserError */.yo(`alembic is not installed for ${pythonLabel} (${scrubbed(doc?.error?.message ?? lastLine(result.stderr), 120)}): ${INSTALL_HINT}.`);
        }
        if (doc?.alembic !== undefined && (doc.error?.kind === 'too-old' || isTooOld(doc.alembic))) {
            throw new errors/* UserError */.yo(`alembic ${doc.alembic} (for ${pythonLabel}) is too old; migrate-action needs ${MIN_VERSION.join('.')} or newer: pip install --upgrade alembic in that environment.`);
        }
        // Past this point an upgrade or stamp may have changed the database: change() reads what it left.
        if (command.mode !== 'state')
            return { result, doc };
        if (!doc && result.signal === null && !ctx.signal?.aborted && result.code !== 0 && result.code !== EXIT_FAILED) {
            // Python could not even run the helper (Python 2, a broken interpreter).
            throw new errors/* UserError */.yo(`${pythonLabel} could not run migrate-action's Alembic helper (${howItEnded(result)}: ${scrubbed(lastLine(result.stderr), 200)}); ` +
                'set input python to a Python 3.7+ interpreter that has Alembic installed.');
        }
        if (doc?.error?.kind === 'internal') {
            throw new Error(`migrate-action's Alembic helper failed: ${scrubbed(doc.error.message, 300)}`);
        }
        return { result, doc };
    }
    /** One line for the log the first time Alembic answers: which Alembic, SQLAlchemy and Python. */
    function announce(ctx, doc, state) {
        if (announced)
            return;
        announced = true;
        const count = state.applied.length + state.pending.length;
        ctx.log.info(`Alembic ${doc.alembic ?? '?'} (SQLAlchemy ${doc.sqlalchemy ?? '?'}, Python ${doc.python ?? '?'}); ` +
            `${count} revision(s) in ${label(state.script_dir)}, head ${state.heads.join(', ') || 'none'}.`);
    }
    /** The state as the helper reads it; errors from env.py or the scripts become one-line UserErrors. */
    async function readHelperState(ctx, sql) {
        const { result, doc } = await runHelper(ctx, { mode: 'state', sql }, true);
        if (doc?.ok && doc.state) {
            announce(ctx, doc, doc.state);
            return doc.state;
        }
        const error = doc?.error;
        if (error?.kind === 'stopped' || (!error && (result.signal !== null || ctx.signal?.aborted))) {
            throw new errors/* UserError */.yo(`Alembic was stopped (${error?.message ?? howItEnded(result)}) while it read the database's revision; nothing was applied.`);
        }
        if (!error) {
            throw new errors/* UserError */.yo(`Alembic ended with ${howItEnded(result)} without a result while it read the database's revision${printedLast(result.stderr)}; nothing was applied. Check input python: it must be the Python that has Alembic.`);
        }
        if (error.kind === 'unknown-current') {
            throw new errors/* UserError */.yo(`Alembic: ${scrubbed(error.message, 300)}: this checkout is older than the database, or a revision file was removed; ` +
                `deploy a commit that has the revision (or restore its file in the directory alembic-config ${iniLabel} points to). Nothing was applied.`);
        }
        const where = error.file ? ` (${label(error.file)}${error.line ? `:${error.line}` : ''})` : '';
        const fix = /No module named '?(psycopg2|psycopg)\b/.test(error.message)
            ? 'install the database driver in that environment (pip install psycopg2-binary)'
            : error.file && external_node_path_.basename(error.file) !== 'env.py'
                ? 'fix that file'
                : `check alembic-config ${iniLabel} and its env.py: it must connect with sqlalchemy.url (migrate-action sets it from database-url; DATABASE_URL holds it too), and the job must have what env.py imports`;
        throw new errors/* UserError */.yo(`Alembic could not read the database's revision: ${scrubbed(error.message, 300)}${where}; ${fix}. Nothing was applied.`, {
            location: error.file ? { file: label(error.file), line: error.line } : undefined,
        });
    }
    /**
     * What a stopped or crashed helper left applied, when it could not say: the version table read on the
     * run's own connection (the helper is gone), with the revision graph it read before.
     */
    async function readAfter(ctx, before) {
        const quote = (name) => `"${name.replace(/"/g, '""')}"`;
        const table = `${before.version_table_schema ? `${quote(before.version_table_schema)}.` : ''}${quote(before.version_table)}`;
        const { rows } = await ctx.client.query('SELECT to_regclass($1) IS NOT NULL AS found', [table]);
        if (!rows[0]?.found)
            return stateAtHeads(before, []);
        const heads = await ctx.client.query(`SELECT version_num FROM ${table}`);
        return stateAtHeads(before, heads.rows.map((row) => row.version_num));
    }
    /**
     * The failure of an upgrade, stamp or downgrade, in one line naming the revision file and line when it
     * is one; `now` says what is applied now, `rolledBack` what became of the failing step's transaction.
     */
    function failure(ctx, result, doc, after, what, now, rolledBack = '', fix = 'Fix the revision, then run again.') {
        const error = doc?.error;
        if (error?.kind === 'stopped' || result.signal !== null || ctx.signal?.aborted) {
            const why = error?.kind === 'stopped' ? error.message : result.signal !== null ? howItEnded(result) : `the run was cancelled: ${String(ctx.signal?.reason)}`;
            return new types/* EngineFailed */.c(`Alembic was stopped (${why}) while it ${what}: ${now}.`);
        }
        if (!error) {
            return new types/* EngineFailed */.c(`Alembic ended with ${howItEnded(result)} without saying why while it ${what}${printedLast(result.stderr)}; ${now}. See its output above.`);
        }
        const said = scrubbed(error.message, 400);
        const sqlstate = error.pgcode ? ` (SQLSTATE ${error.pgcode})` : '';
        const file = error.file ? label(error.file) : undefined;
        const location = file ? { file, line: error.line } : undefined;
        const graph = graphs.get(after);
        const isRevision = file !== undefined && graph !== undefined && [...graph.applied, ...graph.pending].some((r) => label(r.path) === file);
        if (isRevision) {
            return new types/* EngineFailed */.c(`Revision ${file} failed${error.line ? ` at line ${error.line}` : ''}: ${said}${sqlstate}; ${now}${rolledBack}. ${fix}`, { location, code: error.pgcode });
        }
        const where = file ? ` (${file}${error.line ? `:${error.line}` : ''})` : '';
        return new types/* EngineFailed */.c(`Alembic failed while it ${what}: ${said}${where}${sqlstate}; ${now}. See its output above.`, { location, code: error.pgcode });
    }
    /** `upgrade` or `stamp` to `target`, then what the database now has (reported as applied for upgrade). */
    async function change(ctx, state, mode, target, toRun, what) {
        const before = graphOf(state);
        const { result, doc } = await runHelper(ctx, { mode, target }, false);
        const after = doc?.state ? register(doc.state) : await stateAfter(async () => register(await readAfter(ctx, before)), 'Alembic', toRun);
        if (mode === 'upgrade')
            reportApplied(ctx, toRun, after);
        else
            ctx.revision(after.revision);
        if (!doc?.ok) {
            const done = recorded(toRun, after);
            const rolledBack = done.length === 0 && toRun.length > 1 ? ' (Alembic ran them in one transaction, which was rolled back)' : '';
            throw failure(ctx, result, doc, after, what, appliedNow(toRun, done, after), rolledBack);
        }
        const done = recorded(toRun, after);
        if (done.length < toRun.length) {
            const missing = toRun.filter((m) => !done.includes(m));
            throw new types/* EngineFailed */.c(`Alembic ${mode} ${target} succeeded, but the database does not record ${(0,errors/* listed */.KE)(missing.map((m) => m.fileName), 10)}: ` +
                `does env.py skip revisions or use another version table for ${mode}? ${appliedNow(toRun, done, after)}.`);
        }
        return after;
    }
    /** The argument for upgrade/stamp: target-revision resolved to a full id (`head` when unset). */
    function targetArgument(state) {
        const target = config.targetRevision;
        if (target === undefined || target === 'head' || target === 'heads')
            return target ?? 'head';
        const resolved = resolveTarget(graphOf(state), target);
        return 'ids' in resolved ? resolved.ids[0] : target;
    }
    /** The argument of the rollback's `alembic downgrade`, from rollbackPlan. */
    let downgradeTarget = '';
    return {
        name: TOOL,
        unsupported: {},
        async prepare() {
            helper = helperPath();
            if (!(0,external_node_fs_.existsSync)(ini) || !(0,external_node_fs_.statSync)(ini).isFile()) {
                throw new errors/* UserError */.yo(`Input alembic-config ${iniLabel}: ${(0,external_node_fs_.existsSync)(ini) ? 'is a directory, not a file' : 'file not found in the workspace'}; set alembic-config to your alembic.ini, relative to the workspace (and check out the repository first).`);
            }
            python = findPython();
            // Started now, so that Python's start overlaps the connection and the lock; it waits for commands.
            session = startEngineSession({ tool: TOOL, program: python, args: helperArgs(helper, ini), cwd: external_node_path_.dirname(ini), env: {}, resultPipe: true, quiet: true }, deps.env, deps.log, deps.signal);
            return `Alembic project ${iniLabel}, run with ${config.tools.python}${python !== config.tools.python ? ` (${python})` : ''}.`;
        },
        async close() {
            await session?.end();
        },
        async readState(ctx, purpose) {
            // plan and check show each pending revision's SQL, from Alembic's offline mode; status and apply do not need it.
            // apply too when the review gates it (lint: error): rendering costs Python a round per revision, so a
            // review that only warns is left to plan and check.
            const sql = (purpose === 'plan' && (config.command === 'plan' || config.command === 'check')) || (config.command === 'apply' && config.lint === 'error');
            return register(await readHelperState(ctx, sql));
        },
        within(state, target) {
            const graph = graphOf(state);
            if (target === undefined && graph.heads.length > 1) {
                const message = `The revisions in ${label(graph.script_dir)} have ${graph.heads.length} heads (${describeHeads(graph, graph.heads)}), so Alembic cannot tell what "head" is; ` +
                    'join them with alembic merge heads -m "merge heads" and commit the new revision, or set target-revision to one of them.';
                // status only lists what is there; anything that would upgrade refuses before it runs.
                if (config.command === 'status')
                    deps.log.warning(message);
                else
                    throw new errors/* UserError */.yo(message, { location: { file: iniLabel } });
                return state.pending;
            }
            if (target === undefined)
                return state.pending;
            const resolved = resolveTarget(graph, target);
            if (!('ids' in resolved)) {
                const dir = label(graph.script_dir);
                if (resolved.problem === 'heads') {
                    throw new errors/* UserError */.yo(`Input target-revision head is ambiguous: ${dir} has ${resolved.matches.length} heads (${describeHeads(graph, resolved.matches)}); ` +
                        'join them with alembic merge heads, or set target-revision to one of them.');
                }
                if (resolved.problem === 'ambiguous') {
                    throw new errors/* UserError */.yo(`Input target-revision ${target} is the start of several revisions in ${dir} (${(0,errors/* listed */.KE)(resolved.matches, 10)}); give more of the id.`);
                }
                throw new errors/* UserError */.yo(`Input target-revision ${target} is not a revision in ${dir}; use a revision id from its files (the revision = "..." line), e.g. ${graph.heads[0] ?? 'the head'}.`);
            }
            const wanted = new Set(pendingUpTo(graph, resolved.ids).map((r) => r.revision));
            return state.pending.filter((m) => wanted.has(m.id));
        },
        async apply(ctx, state, toRun) {
            if (toRun.length === 0)
                return state;
            const target = targetArgument(state);
            ctx.log.info(`Running alembic upgrade ${target} (${(0,errors/* listed */.KE)(toRun.map((m) => m.fileName), 10)}) ...`);
            return change(ctx, state, 'upgrade', target, toRun, `applied ${toRun.length} revision(s)`);
        },
        /** Alembic's own walk (what `alembic downgrade <target>` would undo), through the helper. */
        async rollbackPlan(ctx, state, target, withSql) {
            const graph = graphOf(state);
            const nothing = { toUndo: [], target: state.revision, irreversible: [] };
            if (target.kind === 'steps' && target.count > graph.applied.length) {
                throw new errors/* UserError */.yo(`Input target-revision -${target.count} would undo ${target.count} revision(s), but ${graph.applied.length === 0 ? 'none is' : `only ${graph.applied.length} are`} applied; use base (or 0) to undo every applied revision.`);
            }
            if (target.kind === 'revision') {
                const resolved = resolveTarget(graph, target.id);
                if (!('ids' in resolved) || resolved.ids.length !== 1) {
                    const dir = label(graph.script_dir);
                    throw new errors/* UserError */.yo('ids' in resolved
                        ? `Input target-revision ${target.id} names ${resolved.ids.length} revisions (${(0,errors/* listed */.KE)(resolved.ids, 10)}); a rollback goes back to one: name it, or base.`
                        : resolved.problem === 'ambiguous'
                            ? `Input target-revision ${target.id} is the start of several revisions in ${dir} (${(0,errors/* listed */.KE)(resolved.matches, 10)}); give more of the id.`
                            : `Input target-revision ${target.id} is not a revision in ${dir}; use a revision id from its files, base (or 0) for none, or -N for the last N.`);
                }
                // Not applied: at or above the applied revision.
                if (!graph.applied.some((r) => r.revision === resolved.ids[0]))
                    return nothing;
                downgradeTarget = resolved.ids[0];
            }
            else {
                downgradeTarget = target.kind === 'base' ? 'base' : `-${target.count}`;
            }
            if (graph.current.length === 0)
                return nothing;
            const { result, doc } = await runHelper(ctx, { mode: 'downgrade-plan', target: downgradeTarget, sql: withSql }, true);
            if (!doc?.ok || !doc.undo) {
                const error = doc?.error;
                if (error?.kind === 'target') {
                    const choices = error.choices && error.choices.length > 0 ? `; name the revision to go back to, one of ${describeHeads(graph, error.choices)}` : '';
                    throw new errors/* UserError */.yo(`Alembic cannot roll back to target-revision ${config.targetRevision ?? downgradeTarget}: ${scrubbed(error.message, 300)}` +
                        `${/ambiguous/i.test(error.message) ? ' (a merge point: going back by a count does not say which branch)' : ''}${choices}. Nothing was changed.`);
                }
                throw new errors/* UserError */.yo(`Alembic could not tell what a downgrade to ${downgradeTarget} would undo: ${scrubbed(error?.message ?? `it ended with ${howItEnded(result)}${printedLast(result.stderr)}`, 300)}. Nothing was changed.`);
            }
            const undo = doc.undo;
            return {
                toUndo: undo.map((r) => ({
                    id: r.revision,
                    name: r.doc,
                    fileName: external_node_path_.basename(r.path),
                    label: label(r.path),
                    ...(r.sql !== undefined ? { sql: r.sql } : {}),
                    ...(r.sql_note !== undefined ? { sqlNote: r.sql_note } : {}),
                    transaction: true,
                })),
                target: revisionAfterUndo(graph, undo.map((r) => r.revision)),
                irreversible: undo.filter((r) => r.irreversible).map((r) => `${label(r.path)} (${r.irreversible})`),
            };
        },
        /** `alembic downgrade <target>`, one transaction per revision; then what the database has. */
        async rollback(ctx, state, plan) {
            const before = graphOf(state);
            ctx.log.info(`Running alembic downgrade ${downgradeTarget} (${(0,errors/* listed */.KE)(plan.toUndo.map((m) => m.fileName), 10)}), each revision in its own transaction ...`);
            const t0 = ctx.clock.now();
            const { result, doc } = await runHelper(ctx, { mode: 'downgrade', target: downgradeTarget }, false);
            const after = doc?.state ? register(doc.state) : await stateAfter(async () => register(await readAfter(ctx, before)), 'Alembic', plan.toUndo);
            const stillApplied = new Set(after.applied.map((r) => r.id));
            const undone = plan.toUndo.filter((m) => !stillApplied.has(m.id));
            for (const m of undone)
                ctx.undone({ id: m.id, fileName: m.fileName, label: m.label, transaction: true });
            ctx.revision(after.revision);
            const now = `${undone.length} of the ${plan.toUndo.length} undone; the database is at revision ${revisionText(after.revision)}`;
            if (!doc?.ok) {
                throw failure(ctx, result, doc, after, `rolled back ${plan.toUndo.length} revision(s)`, now, ' (its own transaction was rolled back)', "Fix the revision's downgrade(), then run the rollback again.");
            }
            if (undone.length < plan.toUndo.length) {
                throw new types/* EngineFailed */.c(`Alembic downgrade ${downgradeTarget} succeeded, but the database still records ${(0,errors/* listed */.KE)(plan.toUndo.filter((m) => stillApplied.has(m.id)).map((m) => m.fileName), 10)}; ${now}.`);
            }
            ctx.log.info(`Alembic undid ${undone.length} revision(s) in ${ctx.clock.now() - t0} ms; the database is at revision ${revisionText(after.revision)}.`);
            return after;
        },
        async baseline(ctx, state, toRecord) {
            // An applied target needs nothing; stamping it would move alembic_version back.
            if (toRecord.length === 0)
                return state;
            const target = targetArgument(state);
            ctx.log.info(`Running alembic stamp ${target} (${(0,errors/* listed */.KE)(toRecord.map((m) => m.fileName), 10)}) ...`);
            const after = await change(ctx, state, 'stamp', target, toRecord, `recorded ${toRecord.length} revision(s) without running them`);
            ctx.log.info(`The database is at revision ${revisionText(after.revision)}.`);
            return after;
        },
    };
}

;// CONCATENATED MODULE: external "node:module"
const external_node_module_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:module");
;// CONCATENATED MODULE: ./lib/engines/rollback.js

/**
 * What a rollback undoes when the history is a line (postgres-migrations, node-pg-migrate, dbmate): the
 * applied migrations above the target, the latest first, and the one that stays the latest applied
 * (undefined: none). A target that is not applied but is one of the files (pending) is at or above the
 * applied revision: nothing is undone. Throws UserError for -N beyond what is applied and for an id
 * the files do not have. Pure.
 */
function linearUndo(state, target, options) {
    const { applied } = state;
    const downFrom = (index) => ({ undo: applied.slice(index + 1).reverse(), stays: index >= 0 ? applied[index] : undefined });
    switch (target.kind) {
        case 'base':
            return downFrom(-1);
        case 'steps':
            if (target.count > applied.length) {
                throw new errors/* UserError */.yo(`Input target-revision -${target.count} would undo ${target.count} migration(s), but ${applied.length === 0 ? 'none is' : `only ${applied.length} are`} applied; ` +
                    'use base (or 0) to undo every applied migration.');
            }
            return downFrom(applied.length - target.count - 1);
        case 'revision': {
            const index = applied.findIndex((record) => record.id === target.id);
            if (index >= 0)
                return downFrom(index);
            if (state.pending.some((m) => m.id === target.id))
                return { undo: [], stays: applied[applied.length - 1] };
            throw new errors/* UserError */.yo(`Input target-revision ${target.id} is not a migration in ${options.where}; use ${options.idHint}, base (or 0) for none, or -N for the last N.`);
        }
    }
}
/** Whether a down section has a statement after its directive line (`-- migrate:down`, `-- Down Migration`). Pure. */
function sectionHasStatements(section) {
    return hasStatements(section.replace(/^[^\n]*/, ''));
}
/** Whether SQL has a statement in it, not only blanks and comments (an empty down file is no way back). Pure. */
function hasStatements(sql) {
    const stripped = sql
        .replace(/\/\*[\s\S]*?\*\//g, ' ')
        .replace(/--[^\n]*/g, ' ')
        .replace(/\uFEFF/g, '');
    return /[^\s;]/.test(stripped);
}

;// CONCATENATED MODULE: ./lib/engines/dbmate.js








/*
 * dbmate 2, driven through its own program. The rules below are read from its source (github.com/amacneil/
 * dbmate v2.35: pkg/dbmate/db.go FindMigrations/Migrate, pkg/dbmate/migration.go, pkg/dbmate/driver.go
 * QueryError, pkg/driver/postgres/postgres.go) and checked against 2.36.0:
 * - files: directory entries that are not directories and match `^(\d+).*\.sql$`; version = the digits;
 *   applied in file-name order (a byte-wise string sort, not a numeric one);
 * - a file needs `-- migrate:up` then `-- migrate:down`, with only blank and comment lines before the
 *   first; `-- migrate:up transaction:false` runs it outside a transaction; each file is its own transaction;
 * - state: `<schema>.schema_migrations(version varchar primary key)`, schema = the URL's search_path, else
 *   current_schema(); no time, no order, no name;
 * - no lock, no target version; every error exits 2, and it prints `Applied:` even for a file that failed;
 * - a query error says `line: L, column: C, position: P: pq: <message> at position L:C (<SQLSTATE>)`, where
 *   L counts from the `-- migrate:up` line (line 1), not from the top of the file.
 */
const dbmate_TOOL = 'dbmate';
const TABLE = 'schema_migrations';
const MIN_MAJOR = 2;
/** db.go migrationFileRegexp. Go's `.` stops at a line feed only. */
const FILE_NAME = /^(\d+)[^\n]*\.sql$/;
/** Go's `\s` (RE2): no vertical tab, no Unicode spaces. */
const S = '[\\t\\n\\f\\r ]';
const NOT_S = '[^\\t\\n\\f\\r ]';
/** Go's `(?m)^` and `(?m)$`: after/before a line feed or at the ends of the text (not at a bare CR). */
const BOL = '(?:^|(?<=\\n))';
const EOL = '(?=\\n|$)';
const directive = (direction) => new RegExp(`${BOL}--${S}*migrate:${direction}(?:${S}*${EOL}|${S}+${NOT_S}+)`, 'g');
const UP = directive('up');
const DOWN = directive('down');
/** A file's sections as dbmate parses them, or dbmate's own complaint about it. Pure. */
function parseMigration(text) {
    const ups = [...text.matchAll(UP)];
    if (ups.length === 0)
        return "dbmate requires each migration to define an up block with '-- migrate:up'";
    const before = text.slice(0, ups[0].index);
    if (before.split('\n').some((line) => !/^[\t\n\f\r ]*$/.test(line) && !/^[\t\n\f\r ]*--/.test(line))) {
        return "dbmate does not support statements preceding the '-- migrate:up' block";
    }
    const sections = [];
    for (const [i, match] of ups.entries()) {
        const start = match.index;
        const section = text.slice(start, ups[i + 1]?.index ?? text.length);
        const downs = [...section.matchAll(DOWN)];
        if (downs.length > 1)
            return "dbmate requires every '-- migrate:down' to be preceded by a '-- migrate:up'";
        if (downs.length === 0)
            return "dbmate requires each migration to define a down block with '-- migrate:down'";
        const up = section.slice(0, downs[0].index);
        const down = section.slice(downs[0].index);
        sections.push({
            up,
            upStart: start,
            transaction: upOptions(up).transaction !== 'false',
            down,
            downStart: start + downs[0].index,
            downTransaction: upOptions(down).transaction !== 'false',
        });
    }
    return sections;
}
/** migration.go parseMigrationOptions: `key:value` words after the directive on its own line. Pure. */
function upOptions(up) {
    const options = {};
    const first = up.split('\n', 1)[0].replace(/^--[\t\n\f\r ]*migrate:(up|down)/, '').trim();
    if (first === '')
        return options;
    for (const pair of first.split(/[\t\n\f\r ]+/)) {
        const parts = pair.split(':');
        if (parts.length === 2)
            options[parts[0]] = parts[1];
    }
    return options;
}
/** Go's string order: bytes of the UTF-8 text. Pure. */
function byteOrder(a, b) {
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
/** Versions by number (digit strings of any length), then as text. Pure. */
function versionOrder(a, b) {
    if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
        const [x, y] = [BigInt(a), BigInt(b)];
        if (x !== y)
            return x < y ? -1 : 1;
    }
    return byteOrder(a, b);
}
/** Read and check the directory the way dbmate 2 reads it; errors name the file and the fix. */
function loadFiles(dir, dirLabel) {
    const files = [];
    for (const entry of readMigrationsDir(dir, dirLabel)) {
        if (entry.isDirectory())
            continue;
        const match = FILE_NAME.exec(entry.name);
        if (!match)
            continue;
        const fileName = entry.name;
        const label = `${dirLabel}/${fileName}`;
        const version = match[1];
        const text = readMigrationText(external_node_path_.join(dir, fileName), label);
        const sections = parseMigration(text);
        if (typeof sections === 'string') {
            throw new errors/* UserError */.yo(`Migration file ${label} cannot be applied by dbmate: "${sections}"; fix the file (-- migrate:up first, then -- migrate:down).`, {
                location: { file: label },
            });
        }
        if (sections.length > 1) {
            // db.go Migrate records the version once per section: on PostgreSQL the second insert violates
            // the primary key after that section's SQL ran (kept when it is transaction:false).
            throw new errors/* UserError */.yo(`Migration file ${label} has ${sections.length} -- migrate:up sections; dbmate records the version once per section, so on PostgreSQL ` +
                'the second one fails with a duplicate key in schema_migrations after its SQL ran: split it into one file per section.', { location: { file: label, line: lineAt(text, sections[1].upStart) } });
        }
        const [section] = sections;
        const name = fileName.slice(version.length).replace(/\.sql$/, '').replace(/^[_-]/, '');
        files.push({
            version,
            name,
            fileName,
            label,
            up: section.up,
            upLine: lineAt(text, section.upStart),
            transaction: section.transaction,
            down: section.down,
            downLine: lineAt(text, section.downStart),
            downTransaction: section.downTransaction,
        });
    }
    if (files.length === 0) {
        throw new errors/* UserError */.yo(`migrations-dir "${dirLabel}" has no dbmate migration files; add files named <version>_<name>.sql (e.g. 20240101120000_create_users.sql, made by dbmate new), ` +
            'or point migrations-dir at the directory that holds them.');
    }
    files.sort((a, b) => byteOrder(a.fileName, b.fileName));
    const seen = new Map();
    for (const file of files) {
        const other = seen.get(file.version);
        if (other) {
            throw new errors/* UserError */.yo(`Migration files ${other.fileName} and ${file.fileName} in ${dirLabel} share version ${file.version} (schema_migrations keeps one row per version); give the later one a new version, e.g. with dbmate new.`, { location: { file: file.label } });
        }
        seen.set(file.version, file);
    }
    return files;
}
/** What dbmate's last `Error:` line says. Pure. */
function parseFailure(stderr) {
    const errors = [...stderr.matchAll(/^Error: (.*)$/gm)];
    let message = errors[errors.length - 1]?.[1];
    if (message === undefined)
        return {};
    const at = /^line: (\d+), column: (\d+), position: \d+: (.*)$/.exec(message);
    if (at)
        message = at[3];
    const code = / \(([0-9A-Z]{5})\)$/.exec(message)?.[1];
    if (code)
        message = message.slice(0, -` (${code})`.length);
    message = message.replace(/^pq: /, '').replace(/ at position \d+:\d+$/, '');
    return { message, line: at ? Number(at[1]) : undefined, column: at ? Number(at[2]) : undefined, code };
}
/** The failure of one `dbmate rollback`, in one line naming the file and the line of its down section. */
function rollbackFailure(result, file, now) {
    if (result.signal !== null)
        return new types/* EngineFailed */.c(`dbmate was stopped (${howItEnded(result)}) while it rolled back ${file.fileName}; ${now}.`);
    const parsed = parseFailure(result.stderr);
    const said = parsed.message === undefined ? `it ended with ${howItEnded(result)}` : scrubbed(parsed.message);
    const sqlstate = parsed.code ? ` (SQLSTATE ${parsed.code})` : '';
    const line = parsed.line === undefined ? undefined : file.downLine + parsed.line - 1;
    const where = line === undefined ? '' : ` at line ${line}`;
    const outcome = file.downTransaction ? 'it was rolled back' : 'it runs without a transaction (transaction:false): what it did before the error stays';
    return new types/* EngineFailed */.c(`The down section of ${file.label} failed${where}: ${said}${sqlstate}; ${outcome}; ${now}. Fix the -- migrate:down section, then run the rollback again.`, {
        location: { file: file.label, line, column: line === undefined ? undefined : parsed.column },
        code: parsed.code,
    });
}
/**
 * dbmate as an engine: its files, its table, its own program to apply (`migrate`, which runs every
 * pending file). State is read with plain SELECTs on the run's connection; nothing is created.
 */
function dbmateEngine(config, deps) {
    let files = [];
    const byVersion = new Map();
    let program = '';
    const toMigration = (file) => ({
        id: file.version,
        name: file.name,
        fileName: file.fileName,
        label: file.label,
        sql: file.up,
        sqlLine: file.upLine,
        transaction: file.transaction,
    });
    function findProgram() {
        if (config.tools.enginePath !== undefined)
            return programFromInput(config.tools.enginePath, deps.env);
        const found = findOnPath('dbmate', deps.env);
        if (!found) {
            throw new errors/* UserError */.yo('dbmate is not on PATH: install it (npm install dbmate, then node_modules/.bin on PATH, or the binary from its releases) or set input engine-path.');
        }
        return found;
    }
    /**
     * npm's `dbmate` is a Node.js wrapper that only finds the Go binary of its platform package and runs it:
     * that binary is started directly (one Node.js start less per run, and nothing more between a stop and
     * dbmate), and its package says its version, so dbmate need not be started to tell it. Undefined for any
     * other installation.
     */
    function npmBinary(found) {
        try {
            const real = (0,external_node_fs_.realpathSync)(found);
            if (!real.endsWith(`${external_node_path_.sep}dbmate${external_node_path_.sep}dist${external_node_path_.sep}cli.js`))
                return undefined;
            const require = (0,external_node_module_namespaceObject.createRequire)(external_node_path_.join(external_node_path_.dirname(external_node_path_.dirname(real)), 'package.json'));
            const platformPackage = `@dbmate/${process.platform}-${process.arch}`;
            const binary = require.resolve(`${platformPackage}/bin/dbmate${process.platform === 'win32' ? '.exe' : ''}`);
            const { version } = JSON.parse((0,external_node_fs_.readFileSync)(require.resolve(`${platformPackage}/package.json`), 'utf8'));
            return typeof version === 'string' ? { binary, version } : undefined;
        }
        catch {
            return undefined;
        }
    }
    /**
     * The version, from npm's package or else from `dbmate --version` (which needs no database): checked
     * before the run connects, when it is to apply.
     */
    async function checkVersion() {
        const npm = npmBinary(program);
        if (npm) {
            if (Number(npm.version.split('.')[0]) < MIN_MAJOR) {
                throw new errors/* UserError */.yo(`dbmate ${npm.version} (${program}) is too old: migrate-action needs ${MIN_MAJOR}.0 or later; install a newer one (npm install dbmate@2, or its releases). Nothing was applied.`);
            }
            const from = program;
            program = npm.binary;
            return `dbmate ${npm.version} (${npm.binary}, from ${from})`;
        }
        let result;
        try {
            result = await runEngineProgram({ tool: dbmate_TOOL, program, args: ['--version'], cwd: config.workspace, env: {}, quiet: true }, deps.env, deps.log, deps.signal);
        }
        catch (error) {
            throw cannotStart(dbmate_TOOL, program, error.code ?? (0,errors/* messageOf */.bD)(error), error);
        }
        const version = /version v?(\d+)\.(\d+)\.(\d+)/.exec(result.stdout);
        if (result.code !== 0 || !version) {
            throw new errors/* UserError */.yo(`${program} --version did not print a dbmate version (${howItEnded(result)}); point input engine-path at dbmate 2 or later. Nothing was applied.`);
        }
        if (Number(version[1]) < MIN_MAJOR) {
            throw new errors/* UserError */.yo(`dbmate ${version.slice(1).join('.')} (${program}) is too old: migrate-action needs ${MIN_MAJOR}.0 or later; install a newer one (npm install dbmate@2, or its releases). Nothing was applied.`);
        }
        return `dbmate ${version.slice(1).join('.')} (${program})`;
    }
    /** The schema dbmate keeps schema_migrations in: the URL's search_path, else current_schema(), else public. */
    async function tableName(ctx) {
        const fromUrl = urlParameter(config.databaseUrl, 'search_path')?.split(',')[0]?.trim();
        const { rows } = await ctx.client.query(`SELECT format('%I.%I', s, $2::text) AS name, to_regclass(format('%I.%I', s, $2::text)) IS NOT NULL AS found
         FROM (SELECT coalesce(nullif($1::text, ''), current_schema(), 'public') AS s) AS chosen`, [fromUrl ?? '', TABLE]);
        return { name: rows[0].name, exists: rows[0].found };
    }
    async function read(ctx) {
        const table = await tableName(ctx);
        const versions = table.exists ? (await ctx.client.query(`SELECT version FROM ${table.name}`)).rows.map((r) => r.version) : [];
        versions.sort(versionOrder);
        const applied = versions.map((version) => {
            const file = byVersion.get(version);
            // dbmate records no time: appliedAt stays undefined.
            return { id: version, name: file?.name ?? '', fileName: file?.fileName ?? version };
        });
        const last = applied[applied.length - 1];
        const revision = last ? { id: last.id, name: last.name } : { id: '', name: '', none: true };
        const done = new Set(versions);
        return { revision, applied, pending: files.filter((file) => !done.has(file.version)).map(toMigration) };
    }
    /** The failure of a `migrate` run, in one line; the frame has been told what is applied. */
    function failure(result, toRun, done, after) {
        const now = appliedNow(toRun, done, after);
        if (result.signal !== null)
            return new types/* EngineFailed */.c(`dbmate was stopped (${howItEnded(result)}) while applying migrations: ${now}.`);
        const parsed = parseFailure(result.stderr);
        const said = parsed.message === undefined ? `it ended with ${howItEnded(result)}` : scrubbed(parsed.message);
        const sqlstate = parsed.code ? ` (SQLSTATE ${parsed.code})` : '';
        const failed = toRun.find((m) => !done.includes(m));
        const file = failed && byVersion.get(failed.id);
        // `Applying: <file>` is printed before the file is read: without it, dbmate failed before this file.
        if (!file || !result.stdout.split('\n').includes(`Applying: ${file.fileName}`)) {
            return new types/* EngineFailed */.c(`dbmate failed${done.length > 0 ? '' : ' before applying a migration'}: ${said}${sqlstate}; ${now}. See its output above.`, {
                code: parsed.code,
            });
        }
        const line = parsed.line === undefined ? undefined : file.upLine + parsed.line - 1;
        const where = line === undefined ? '' : ` at line ${line}`;
        const partly = file.transaction ? '' : ' It ran without a transaction (transaction:false): what it did before the error stays.';
        return new types/* EngineFailed */.c(`Migration ${file.label} failed${where}: ${said}${sqlstate}; ${now}.${partly} Fix the migration, then run again.`, {
            location: { file: file.label, line, column: line === undefined ? undefined : parsed.column },
            code: parsed.code,
        });
    }
    return {
        name: dbmate_TOOL,
        unsupported: {
            baseline: 'dbmate has no command that records migrations without running them; apply them, or insert the versions into schema_migrations yourself',
        },
        async prepare() {
            program = findProgram();
            files = loadFiles(config.migrationsDir, config.migrationsDirLabel);
            for (const file of files)
                byVersion.set(file.version, file);
            const widths = new Set(files.map((f) => f.version.length));
            if (widths.size > 1) {
                // dbmate sorts file names as text: 10_b.sql runs before 9_a.sql.
                deps.log.warning(`The versions in ${config.migrationsDirLabel} have different numbers of digits; dbmate applies files in file-name order, which is not numeric order here: ` +
                    `${(0,errors/* listed */.KE)(files.map((f) => f.fileName), 10)}. Pad the versions to one width (dbmate new uses 14-digit timestamps).`);
            }
            const found = `${files.length} migration files in ${config.migrationsDirLabel}, versions ${files[0].version} to ${files[files.length - 1].version}`;
            // Only apply and rollback run dbmate: a missing or too old one stops it here, before the database is touched.
            const runs = config.command === 'apply' || (config.command === 'rollback' && !config.dryRun);
            return runs ? `${found}; ${await checkVersion()}.` : `${found}; dbmate at ${program}.`;
        },
        readState: (ctx) => read(ctx),
        /**
         * dbmate has no target version: `migrate` runs every pending file. A target that is not the last
         * pending one is refused for every command, plan and check included: they tell what apply would do.
         */
        within(state, target) {
            if (target === undefined)
                return state.pending;
            if (state.applied.some((record) => record.id === target))
                return [];
            const at = state.pending.findIndex((m) => m.id === target);
            if (at < 0) {
                const named = files.find((f) => f.fileName === target || external_node_path_.basename(f.fileName, '.sql') === target);
                throw new errors/* UserError */.yo(`Input target-revision ${target} is not a migration version in ${config.migrationsDirLabel}; use the digits at the start of a file name, e.g. ${(named ?? files[files.length - 1]).version}.`);
            }
            if (at < state.pending.length - 1) {
                throw new errors/* UserError */.yo(`dbmate applies every pending migration and has no target version; remove input target-revision (or the later files: ${(0,errors/* listed */.KE)(state.pending.slice(at + 1).map((m) => m.fileName), 10)}).`);
            }
            return state.pending;
        },
        async rollbackPlan(_ctx, state, target) {
            // dbmate rolls back the latest applied in ITS order, file names as text (10_b.sql before 9_a.sql),
            // not by version number: the plan follows that order, so that what it lists is what dbmate undoes.
            const inDbmateOrder = { ...state, applied: [...state.applied].sort((a, b) => byteOrder(a.fileName, b.fileName)) };
            const { undo } = linearUndo(inDbmateOrder, target, {
                where: config.migrationsDirLabel,
                idHint: 'the digits at the start of a file name',
            });
            const irreversible = [];
            const toUndo = undo.map((record) => {
                const file = byVersion.get(record.id);
                if (!file) {
                    irreversible.push(`version ${record.id} (${TABLE} records it, but ${config.migrationsDirLabel} has no file for it)`);
                    return { id: record.id, name: record.name, fileName: record.fileName, label: record.fileName };
                }
                if (!sectionHasStatements(file.down))
                    irreversible.push(`${file.label} (its -- migrate:down section has no statement)`);
                return { id: file.version, name: file.name, fileName: file.fileName, label: file.label, sql: file.down, transaction: file.downTransaction };
            });
            // The revision output is the highest version left, whatever the order.
            const gone = new Set(undo.map((record) => record.id));
            const left = state.applied.filter((record) => !gone.has(record.id)).sort((a, b) => versionOrder(a.id, b.id));
            const last = left[left.length - 1];
            return { toUndo, target: last ? { id: last.id, name: last.name } : { id: '', name: '', none: true }, irreversible };
        },
        /** `dbmate rollback` undoes the latest applied migration: run once per migration, checking each time which one went. */
        async rollback(ctx, state, plan) {
            let now = state;
            for (const migration of plan.toUndo) {
                const file = byVersion.get(migration.id);
                const t0 = ctx.clock.now();
                const before = now;
                ctx.log.info(`Running dbmate rollback (${file.fileName})${file.downTransaction ? '' : ' without a transaction'} ...`);
                const result = await runTool(ctx, {
                    tool: dbmate_TOOL,
                    program,
                    args: ['--no-dump-schema', '--wait=false', '--migrations-dir', config.migrationsDir, '--migrations-table', TABLE, 'rollback'],
                    cwd: config.workspace,
                    env: { DATABASE_URL: ctx.engineUrl() },
                }, program);
                now = await stateAfter(() => read(ctx), dbmate_TOOL, plan.toUndo);
                ctx.revision(now.revision);
                const gone = before.applied.filter((record) => !now.applied.some((r) => r.id === record.id));
                // What really went is reported, expected or not: the outputs must match the database.
                for (const record of gone) {
                    const undone = byVersion.get(record.id);
                    ctx.undone({
                        id: record.id,
                        fileName: record.fileName,
                        label: undone?.label ?? record.fileName,
                        durationMs: ctx.clock.now() - t0,
                        transaction: undone?.downTransaction,
                    });
                }
                const at = `the database is at version ${now.revision.none ? 'none' : now.revision.id}`;
                if (result.code !== 0)
                    throw rollbackFailure(result, file, at);
                if (gone.length !== 1 || gone[0].id !== migration.id) {
                    throw new types/* EngineFailed */.c(`dbmate rollback undid ${gone.length === 0 ? 'nothing' : (0,errors/* listed */.KE)(gone.map((r) => r.fileName), 5)} where ${file.fileName} was expected (dbmate takes the latest by file name; ` +
                        `versions of different widths sort otherwise): stopped; ${at}.`);
                }
            }
            return now;
        },
        async apply(ctx, state, toRun) {
            if (toRun.length === 0)
                return state;
            ctx.log.info(`Running dbmate migrate (${(0,errors/* listed */.KE)(toRun.map((m) => m.fileName), 10)}), each file in its own transaction ...`);
            const result = await runTool(ctx, {
                tool: dbmate_TOOL,
                program,
                args: [
                    // Not a schema dump into the checkout; no wait of its own (the run has waited); the table pinned
                    // (DBMATE_MIGRATIONS_TABLE in the job would move it away from where it is read).
                    '--no-dump-schema',
                    '--wait=false',
                    '--migrations-dir',
                    config.migrationsDir,
                    '--migrations-table',
                    TABLE,
                    'migrate',
                ],
                cwd: config.workspace,
                env: { DATABASE_URL: ctx.engineUrl() },
            }, program);
            // Its output says `Applied:` even for a file that failed: only the table tells what is applied.
            const after = await stateAfter(() => read(ctx), dbmate_TOOL, toRun);
            const done = recorded(toRun, after);
            reportApplied(ctx, toRun, after);
            if (result.code !== 0) {
                ctx.log.info(`dbmate prints "Applied:" for every file it tried, a failed one included; ${TABLE} records ${done.length} of the ${toRun.length} as applied` +
                    (done.length > 0 ? `: ${(0,errors/* listed */.KE)(done.map((m) => m.fileName), 10)}.` : '.'));
                throw failure(result, toRun, done, after);
            }
            if (done.length < toRun.length) {
                const missing = toRun.filter((m) => !done.includes(m));
                throw new types/* EngineFailed */.c(`dbmate reported success, but ${TABLE} does not record ${(0,errors/* listed */.KE)(missing.map((m) => m.fileName), 10)}: does DBMATE_DRIVER or a .env file ` +
                    `point it elsewhere? ${appliedNow(toRun, done, after)}.`);
            }
            return after;
        },
    };
}

;// CONCATENATED MODULE: ./lib/engines/node-pg-migrate.js







/*
 * node-pg-migrate 9, driven through its own CLI in the job's installation. The rules below are read from
 * its source (node_modules/node-pg-migrate/dist/legacy/{migration,sqlMigration,runner,migrationLoader}.js,
 * utils/{fileNameUtils,comparators}.js, bin/node-pg-migrate.js) and checked against 9.0.0:
 * - files: every entry of the directory that is a file or a link and does not match its ignore pattern
 *   `^\..*`; `.sql` is SQL, anything else is imported as a module (so a README.md breaks it);
 * - name (the row in pgmigrations) = basename without the extension;
 * - order: numeric prefix (17 digits = a UTC timestamp to the millisecond), then localeCompare with
 *   numeric collation, ignoring punctuation;
 * - state: public.pgmigrations(id, name, run_on), applied = ORDER BY run_on, id; check-order requires the
 *   applied names to be the first files, in order;
 * - `up N` runs the first N not applied, all in one transaction (`--single-transaction` is the default).
 */
const node_pg_migrate_TOOL = 'node-pg-migrate';
/** Where `npm install node-pg-migrate` puts its program, relative to the workspace. */
const DEFAULT_BIN = 'node_modules/.bin/node-pg-migrate';
const TABLE_SCHEMA = 'public';
const node_pg_migrate_TABLE = 'pgmigrations';
const node_pg_migrate_MIN_MAJOR = 7;
/** Its own advisory lock key (runner.js PG_MIGRATE_LOCK_ID): held by any node-pg-migrate run. */
const OWN_LOCK_KEY = '7241865325823964';
/** Extensions it imports as modules (migrationLoader.js getDefaultStrategies); `.sql` is read as SQL. */
const MODULE_EXTENSIONS = ['.js', '.ts', '.cjs', '.mjs', '.cts', '.mts'];
/** `name varchar(255)` in pgmigrations. */
const MAX_NAME = 255;
/** sqlMigration.js: `-- Up Migration` / `-- Down Migration`, any case, any number of dashes. */
const marker = (direction) => new RegExp(`^\\s*--[\\s-]*${direction}\\s+migration`, 'im');
const UP_MARKER = marker('up');
const DOWN_MARKER = marker('down');
/**
 * The SQL node-pg-migrate runs for `up`, exactly as sqlMigration.js cuts it: from the match of the Up
 * marker (which may start on a blank line before it: `^\s*` crosses lines) to the Down marker when that
 * comes later, else to the end; the whole file when there is no Up marker. Pure.
 */
function upSection(text) {
    const up = text.search(UP_MARKER);
    const down = text.search(DOWN_MARKER);
    if (up < 0)
        return { start: 0, sql: text };
    return { start: up, sql: text.slice(up, down < up ? undefined : down) };
}
/**
 * The SQL node-pg-migrate runs for `down`, as sqlMigration.js cuts it: from the Down marker to the Up
 * marker when that comes later, else to the end; undefined without a Down marker (node-pg-migrate then
 * says "User has disabled down migration"). Pure.
 */
function downSection(text) {
    const up = text.search(UP_MARKER);
    const down = text.search(DOWN_MARKER);
    if (down < 0)
        return undefined;
    return { start: down, sql: text.slice(down, up < down ? undefined : up) };
}
/**
 * Whether a JavaScript or TypeScript migration exports `down = false` (node-pg-migrate's way to say it
 * cannot be undone), as written in its source: `exports.down = false`, `export const down = false`,
 * `down: false` in an exported object. Without a `down`, node-pg-migrate reverses `up`. Pure.
 */
function disablesDown(source) {
    return /(?:\bexports\.down|\bexport\s+(?:const|let|var)\s+down|\bdown)\s*[=:]\s*false\b/.test(source);
}
/**
 * fileNameUtils.js getNumericPrefix: the leading digits as a number; 17 digits are a UTC time
 * (YYYYMMDDhhmmssSSS) as milliseconds. Undefined when the name has no leading digit. Pure.
 */
function numericPrefix(fileName) {
    const prefix = /^\d+/.exec(fileName)?.[0];
    if (prefix === undefined)
        return undefined;
    if (prefix.length !== 17)
        return Number(prefix);
    const [y, mo, d, h, mi, s, ms] = [prefix.slice(0, 4), prefix.slice(4, 6), prefix.slice(6, 8), prefix.slice(8, 10), prefix.slice(10, 12), prefix.slice(12, 14), prefix.slice(14, 17)];
    return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`).valueOf();
}
/** comparators.js compareMigrationFileNames, on file names with their extensions. Pure. */
function compareFileNames(a, b) {
    return (numericPrefix(a) - numericPrefix(b) ||
        a.localeCompare(b, undefined, { usage: 'sort', numeric: true, sensitivity: 'variant', ignorePunctuation: true }));
}
/** Read and check the directory the way node-pg-migrate 9 loads it; errors name the file and the fix. */
function node_pg_migrate_loadFiles(dir, dirLabel) {
    const entries = readMigrationsDir(dir, dirLabel).filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && !entry.name.startsWith('.'));
    if (entries.length === 0) {
        throw new errors/* UserError */.yo(`migrations-dir "${dirLabel}" has no migration files; add node-pg-migrate files such as 1_create-users.sql or 1_create-users.js, ` +
            'or point migrations-dir at the directory that holds them.');
    }
    const files = [];
    for (const entry of entries) {
        const fileName = entry.name;
        const label = `${dirLabel}/${fileName}`;
        const location = { file: label };
        if (/[\n\r\u2028\u2029]/.test(fileName)) {
            throw new errors/* UserError */.yo(`Migration file name ${JSON.stringify(fileName)} in ${dirLabel} contains a line break; rename it.`);
        }
        if (!isFileEntry(dir, entry)) {
            throw new errors/* UserError */.yo(`${label} is a link that does not lead to a file, and node-pg-migrate would try to load it; remove it or rename it to start with a dot.`, {
                location,
            });
        }
        const extension = external_node_path_.extname(fileName).toLowerCase();
        if (extension !== '.sql' && !MODULE_EXTENSIONS.includes(extension)) {
            throw new errors/* UserError */.yo(`${label} is not a migration (.sql, .js, .ts, .cjs, .mjs, .cts or .mts), but node-pg-migrate loads every file of its directory ` +
                'that does not start with a dot: move it out of the directory or rename it to start with a dot.', { location });
        }
        const name = external_node_path_.basename(fileName, external_node_path_.extname(fileName));
        if ([...name].length > MAX_NAME) {
            throw new errors/* UserError */.yo(`Migration file ${label} has a name of more than ${MAX_NAME} characters, which pgmigrations.name cannot hold; shorten it.`, { location });
        }
        if (name.includes("'")) {
            // runner.js writes the name into its INSERT between quotes, unescaped: the statement would break.
            throw new errors/* UserError */.yo(`Migration file ${label} has a quote (') in its name, which node-pg-migrate puts unescaped into SQL; rename it.`, { location });
        }
        if (extension !== '.sql') {
            files.push({ name, fileName, label, kind: 'js', downDisabled: disablesDown(readMigrationText(external_node_path_.join(dir, fileName), label)) });
            continue;
        }
        const text = readMigrationText(external_node_path_.join(dir, fileName), label);
        const { start, sql } = upSection(text);
        const down = downSection(text);
        files.push({ name, fileName, label, kind: 'sql', text, upStart: start, up: sql, down: down?.sql, downStart: down?.start });
    }
    // With two files or more, its sort reads every file's numeric prefix and fails on a name without one.
    if (files.length > 1) {
        const unnumbered = files.find((file) => numericPrefix(file.fileName) === undefined);
        if (unnumbered) {
            throw new errors/* UserError */.yo(`Migration file ${unnumbered.label} does not start with a number, which node-pg-migrate orders its files by; ` +
                'rename it with a prefix that sorts it in place, e.g. a timestamp like 1700000000000_ or an index like 0004_.', { location: { file: unnumbered.label } });
        }
    }
    files.sort((a, b) => compareFileNames(a.fileName, b.fileName));
    for (let i = 1; i < files.length; i += 1) {
        if (files[i].name === files[i - 1].name) {
            throw new errors/* UserError */.yo(`Migration files ${files[i - 1].fileName} and ${files[i].fileName} in ${dirLabel} have the same name "${files[i].name}" (node-pg-migrate records the name without the extension); rename one.`, { location: { file: files[i].label } });
        }
    }
    return files;
}
/** The version in the package.json of the node-pg-migrate package that holds `program`, found without running it. */
function packageOf(program) {
    let dir = external_node_path_.dirname(realProgram(program));
    for (;;) {
        const file = external_node_path_.join(dir, 'package.json');
        if ((0,external_node_fs_.existsSync)(file)) {
            try {
                const json = JSON.parse((0,external_node_fs_.readFileSync)(file, 'utf8'));
                if (json.name === node_pg_migrate_TOOL && typeof json.version === 'string')
                    return { version: json.version, dir };
            }
            catch {
                // Not readable JSON: keep looking further up.
            }
        }
        const parent = external_node_path_.dirname(dir);
        if (parent === dir)
            return undefined;
        dir = parent;
    }
}
/** The revision node-pg-migrate is at: its last applied name (the name is the id; no second name). */
function revisionOf(applied) {
    const last = applied[applied.length - 1];
    return last ? { id: last.id, name: '' } : { id: '', name: '', none: true };
}
/**
 * runner.js checkOrder: the applied names, in the order they ran, must be the first files in file
 * order. Returns the problem as a message, or undefined. Pure.
 */
function orderProblem(applied, files, dirLabel) {
    const appliedNames = new Set(applied.map((record) => record.id));
    for (let i = 0; i < Math.min(applied.length, files.length); i += 1) {
        const ran = applied[i].id;
        const file = files[i];
        if (ran === file.name)
            continue;
        const refusal = `node-pg-migrate refuses to run ("Not run migration ${file.name} is preceding already run migration ${ran}")`;
        if (!appliedNames.has(file.name)) {
            return {
                message: `Migration file ${file.label} is not applied but sorts before ${ran}, which is: ${refusal}. ` +
                    'Rename it so that it sorts after the last applied migration (a later number or timestamp).',
                file: file.label,
            };
        }
        if (!files.some((f) => f.name === ran)) {
            return {
                message: `${TABLE_SCHEMA}.${node_pg_migrate_TABLE} records ${ran} as applied, but ${dirLabel} has no file of that name where it ran (before ${file.fileName}): ${refusal}. Restore its file.`,
            };
        }
        return {
            message: `${TABLE_SCHEMA}.${node_pg_migrate_TABLE} records the migrations in another order than ${dirLabel} sorts them (${ran} ran where ${file.fileName} sorts): ${refusal}. Rename the files to match the order they ran in.`,
            file: file.label,
        };
    }
    return undefined;
}
/** What node-pg-migrate printed about its failure. Pure. */
function node_pg_migrate_parseFailure(result, direction = 'UP') {
    const runs = [...result.stdout.matchAll(direction === 'UP' ? /^### MIGRATION (.+) \(UP\) ###$/gm : /^### MIGRATION (.+) \(DOWN\) ###$/gm)];
    const migration = runs[runs.length - 1]?.[1];
    const done = runs.length;
    // The CLI prints the error it ends with last (console.error of the error object): its first line is
    // `error: <message>` for a database error, `Error: <message>` (or `TypeError: ...`) for the others.
    const headers = [...result.stderr.matchAll(/^(?:[A-Za-z]*Error|error)(?: \[[A-Z0-9_]+\])?: (.*)$/gm)];
    const header = headers[headers.length - 1];
    const rest = header ? result.stderr.slice(header.index + header[0].length) : '';
    const code = /^\s+code: '([0-9A-Z]{5})'/m.exec(rest)?.[1];
    const position = /^\s+position: '(\d+)'/m.exec(rest)?.[1];
    const message = header?.[1];
    return {
        migration,
        message,
        code,
        position: position === undefined ? undefined : Number(position),
        lockHeld: /Another migration is already running/.test(result.stderr),
        done,
    };
}
/**
 * node-pg-migrate as an engine: its files, its table, its own CLI to apply (`up N`) and to baseline
 * (`up N --fake`). State is read with plain SELECTs on the run's connection; nothing is created.
 */
function nodePgMigrateEngine(config, deps) {
    let files = [];
    const byName = new Map();
    let program = '';
    let programLabel = '';
    const toMigration = (file) => file.kind === 'sql'
        ? { id: file.name, name: file.name, fileName: file.fileName, label: file.label, sql: file.up, sqlLine: lineAt(file.text, file.upStart), transaction: true }
        : { id: file.name, name: file.name, fileName: file.fileName, label: file.label, sqlNote: 'a JavaScript migration: its SQL is known only when it runs' };
    function findProgram() {
        if (config.tools.enginePath !== undefined)
            return programFromInput(config.tools.enginePath, deps.env);
        const bin = external_node_path_.join(config.workspace, DEFAULT_BIN);
        if (!(0,external_node_fs_.existsSync)(bin)) {
            throw new errors/* UserError */.yo(`node-pg-migrate is not installed in the workspace (${DEFAULT_BIN}): run npm install node-pg-migrate pg in the job before this step, or set input engine-path.`);
        }
        return bin;
    }
    /** The version, read from its package.json; a program outside a package (a wrapper script) is taken as it is. */
    function checkInstallation() {
        const found = packageOf(program);
        if (!found)
            return 'version unknown';
        const major = Number(/^(\d+)\./.exec(found.version)?.[1]);
        if (!(major >= node_pg_migrate_MIN_MAJOR)) {
            throw new errors/* UserError */.yo(`node-pg-migrate ${found.version} (${programLabel}) is too old: migrate-action needs ${node_pg_migrate_MIN_MAJOR} or later; run npm install node-pg-migrate@9.`);
        }
        try {
            // It imports pg (a peer dependency) when it starts: resolving it now turns a crash into advice.
            (0,external_node_module_namespaceObject.createRequire)(external_node_path_.join(found.dir, 'package.json')).resolve('pg');
        }
        catch {
            throw new errors/* UserError */.yo(`node-pg-migrate (${programLabel}) is installed but its peer dependency pg is not; run npm install pg in the job before this step.`);
        }
        return found.version;
    }
    /** Applied rows and pending files, without the order check. */
    async function read(ctx) {
        const { client } = ctx;
        const { rows: present } = await client.query(`SELECT to_regclass('${TABLE_SCHEMA}.${node_pg_migrate_TABLE}') IS NOT NULL AS found`);
        let applied = [];
        if (present[0]?.found) {
            // run_on is a timestamp without time zone written with NOW() in node-pg-migrate's session: read in
            // ours (the same server default time zone), it becomes the instant it was.
            const { rows } = await client.query(`SELECT name, run_on::timestamptz AS applied_at FROM ${TABLE_SCHEMA}.${node_pg_migrate_TABLE} ORDER BY run_on, id`);
            applied = rows.map((row) => ({
                id: row.name,
                name: row.name,
                fileName: byName.get(row.name)?.fileName ?? row.name,
                appliedAt: row.applied_at ? row.applied_at.toISOString() : undefined,
            }));
        }
        const done = new Set(applied.map((record) => record.id));
        return { revision: revisionOf(applied), applied, pending: files.filter((file) => !done.has(file.name)).map(toMigration) };
    }
    /** `up N` or `down N` on our directory and table (N is never 0: `down 0` means all). */
    function runnerArgs(direction, count, extra) {
        if (count < 1)
            throw new Error(`node-pg-migrate ${direction} needs a count of 1 or more, not ${count}`);
        return [
            direction,
            String(count),
            ...extra,
            '--migrations-dir',
            config.migrationsDir,
            '--migrations-schema',
            TABLE_SCHEMA,
            '--migrations-table',
            node_pg_migrate_TABLE,
            // The statements are not echoed: the files are in the repository, and the log stays readable.
            '--no-verbose',
        ];
    }
    /**
     * `down N --dry-run` without node-pg-migrate's lock, on read-only sessions: whether it can build every
     * down of `toUndo` (the latest first). Returns the first that it cannot, with its words; undefined when
     * all can be.
     */
    async function probeDown(ctx, toUndo) {
        const result = await runTool(ctx, {
            tool: node_pg_migrate_TOOL,
            program,
            args: runnerArgs('down', toUndo.length, ['--no-single-transaction', '--dry-run', '--no-lock']),
            cwd: config.workspace,
            env: { DATABASE_URL: ctx.engineUrl({ uselibpqcompat: 'true' }, { readOnly: true }) },
            quiet: true,
        }, programLabel);
        if (result.code === 0)
            return undefined;
        const parsed = node_pg_migrate_parseFailure(result, 'DOWN');
        // It prints a migration's line once its down is built: the first without one is where it stopped.
        const failing = toUndo[parsed.done];
        const said = parsed.message === undefined ? `it ended with ${howItEnded(result)}` : scrubbed(parsed.message);
        return `${failing?.label ?? 'one of them'} (node-pg-migrate cannot undo it: ${said})`;
    }
    /** The failure of an `up` run, in one line, after telling the frame what is applied now. */
    function failure(result, toRun, done, after, what) {
        const now = appliedNow(toRun, done, after);
        if (result.signal !== null) {
            return new types/* EngineFailed */.c(`node-pg-migrate was stopped (${howItEnded(result)}) while ${what}: ${now}.`);
        }
        const parsed = node_pg_migrate_parseFailure(result);
        if (parsed.lockHeld) {
            return new errors/* UserError */.yo(`node-pg-migrate's own lock (advisory lock ${OWN_LOCK_KEY}) is held by another session, most likely a node-pg-migrate run outside migrate-action ` +
                `on this database: wait for it to finish (or end that session), then run again; ${now}.`);
        }
        const file = parsed.migration === undefined ? undefined : byName.get(parsed.migration);
        const said = parsed.message === undefined ? `it ended with ${howItEnded(result)}` : scrubbed(parsed.message);
        const sqlstate = parsed.code ? ` (SQLSTATE ${parsed.code})` : '';
        if (!file || done.some((m) => m.id === file.name)) {
            // Before any migration ran (files, connection, check-order) or after they all did.
            return new types/* EngineFailed */.c(`node-pg-migrate failed while ${what}: ${said}${sqlstate}; ${now}. See its output above.`, { code: parsed.code });
        }
        const line = file.kind === 'sql' && parsed.position !== undefined ? lineAt(file.text, indexOfPosition(file.text, file.upStart, parsed.position)) : undefined;
        const where = line === undefined ? '' : ` at line ${line}`;
        const rolledBack = done.length === 0 && toRun.length > 1 ? ' (node-pg-migrate ran them in one transaction, which it rolled back)' : '';
        return new types/* EngineFailed */.c(`Migration ${file.label} failed${where}: ${said}${sqlstate}; ${now}${rolledBack}. Fix the migration, then run again.`, {
            location: { file: file.label, line },
            code: parsed.code,
        });
    }
    /**
     * Run `up <N>`, then read the state again and report what it applied (`fake`: `--fake`, recorded
     * without running; the frame reports those as baselined, not applied).
     */
    async function up(ctx, toRun, fake, what) {
        const result = await runTool(ctx, {
            tool: node_pg_migrate_TOOL,
            program,
            args: runnerArgs('up', toRun.length, fake ? ['--fake'] : []),
            cwd: config.workspace,
            // uselibpqcompat: pg then gives sslmode libpq's meaning (require = encrypt, do not verify).
            env: { DATABASE_URL: ctx.engineUrl({ uselibpqcompat: 'true' }) },
        }, programLabel);
        const after = await stateAfter(() => read(ctx), node_pg_migrate_TOOL, toRun);
        const done = recorded(toRun, after);
        if (fake)
            ctx.revision(after.revision);
        else
            reportApplied(ctx, toRun, after);
        if (result.code !== 0)
            throw failure(result, toRun, done, after, what);
        if (done.length < toRun.length) {
            const missing = toRun.filter((m) => !done.includes(m));
            throw new types/* EngineFailed */.c(`node-pg-migrate reported success, but ${TABLE_SCHEMA}.${node_pg_migrate_TABLE} does not record ${(0,errors/* listed */.KE)(missing.map((m) => m.fileName), 10)}: ` +
                `does a node-pg-migrate configuration (config/, --config-file) set another migrations table or schema? migrate-action reads ${TABLE_SCHEMA}.${node_pg_migrate_TABLE}; ` +
                `${appliedNow(toRun, done, after)}.`);
        }
        return after;
    }
    return {
        name: node_pg_migrate_TOOL,
        unsupported: {},
        stateTable: node_pg_migrate_TABLE,
        async prepare() {
            program = findProgram();
            const relative = external_node_path_.relative(config.workspace, program);
            programLabel = relative.startsWith('..') || external_node_path_.isAbsolute(relative) ? program : relative;
            const version = checkInstallation();
            files = node_pg_migrate_loadFiles(config.migrationsDir, config.migrationsDirLabel);
            for (const file of files)
                byName.set(file.name, file);
            const js = files.filter((f) => f.kind === 'js').length;
            return (`${files.length} migration files in ${config.migrationsDirLabel} (${files.length - js} SQL, ${js} JavaScript), ` +
                `from ${files[0].name} to ${files[files.length - 1].name}; node-pg-migrate ${version} (${programLabel}).`);
        },
        async readState(ctx) {
            const state = await read(ctx);
            const problem = orderProblem(state.applied, files, config.migrationsDirLabel);
            if (problem) {
                // status only lists; anything that would run node-pg-migrate (or promise what it would do) refuses.
                if (config.command === 'status')
                    ctx.log.warning(problem.message);
                else
                    throw new errors/* UserError */.yo(problem.message, { location: problem.file ? { file: problem.file } : undefined });
            }
            return state;
        },
        within(state, target) {
            if (target === undefined)
                return state.pending;
            if (state.applied.some((record) => record.id === target))
                return [];
            const at = state.pending.findIndex((m) => m.id === target);
            if (at >= 0)
                return state.pending.slice(0, at + 1);
            const withExtension = files.find((f) => f.fileName === target);
            const example = withExtension?.name ?? files[files.length - 1].name;
            throw new errors/* UserError */.yo(`Input target-revision ${target} is not a migration in ${config.migrationsDirLabel}; use a file name without its extension, e.g. ${example}.`);
        },
        async apply(ctx, state, toRun) {
            if (toRun.length === 0)
                return state;
            ctx.log.info(`Running node-pg-migrate up ${toRun.length} (${(0,errors/* listed */.KE)(toRun.map((m) => m.fileName), 10)}) in one transaction ...`);
            return up(ctx, toRun, false, `applying ${toRun.length} migration(s)`);
        },
        async rollbackPlan(ctx, state, target) {
            const { undo, stays } = linearUndo(state, target, {
                where: config.migrationsDirLabel,
                idHint: 'a file name without its extension',
            });
            const irreversible = [];
            const toUndo = undo.map((record) => {
                const file = byName.get(record.id);
                if (!file) {
                    // readState's order check refuses this already; kept for a state read another way.
                    irreversible.push(`${record.id} (${TABLE_SCHEMA}.${node_pg_migrate_TABLE} records it, but ${config.migrationsDirLabel} has no file for it)`);
                    return { id: record.id, name: record.name, fileName: record.fileName, label: record.fileName };
                }
                if (file.kind === 'js') {
                    if (file.downDisabled)
                        irreversible.push(`${file.label} (it exports down = false)`);
                    return {
                        id: file.name,
                        name: file.name,
                        fileName: file.fileName,
                        label: file.label,
                        sqlNote: 'a JavaScript migration: node-pg-migrate runs its down function (or reverses up when it exports none); its SQL is known only when it runs',
                    };
                }
                if (file.down === undefined)
                    irreversible.push(`${file.label} (no -- Down Migration section)`);
                else if (!sectionHasStatements(file.down))
                    irreversible.push(`${file.label} (its -- Down Migration section has no statement)`);
                return { id: file.name, name: file.name, fileName: file.fileName, label: file.label, sql: file.down, transaction: true };
            });
            // A JavaScript migration's way back is known only to node-pg-migrate (a down function, or up reversed
            // when it can be): ask it, in a dry run whose sessions can change nothing.
            if (irreversible.length === 0 && undo.some((record) => byName.get(record.id)?.kind === 'js')) {
                const problem = await probeDown(ctx, toUndo);
                if (problem)
                    irreversible.push(problem);
            }
            return { toUndo, target: stays ? { id: stays.id, name: '' } : { id: '', name: '', none: true }, irreversible };
        },
        /**
         * `down N` undoes the last N applied (by run_on, id: the order read here), each in its own transaction
         * with its row (`--no-single-transaction`). N is never 0, which node-pg-migrate takes for "all".
         */
        async rollback(ctx, state, plan) {
            const count = plan.toUndo.length;
            if (count === 0)
                return state;
            ctx.log.info(`Running node-pg-migrate down ${count} (${(0,errors/* listed */.KE)(plan.toUndo.map((m) => m.fileName), 10)}), each in its own transaction ...`);
            const t0 = ctx.clock.now();
            const result = await runTool(ctx, {
                tool: node_pg_migrate_TOOL,
                program,
                args: runnerArgs('down', count, ['--no-single-transaction']),
                cwd: config.workspace,
                env: { DATABASE_URL: ctx.engineUrl({ uselibpqcompat: 'true' }) },
            }, programLabel);
            const after = await stateAfter(() => read(ctx), node_pg_migrate_TOOL, plan.toUndo);
            const stillApplied = new Set(after.applied.map((record) => record.id));
            const undone = plan.toUndo.filter((m) => !stillApplied.has(m.id));
            for (const m of undone)
                ctx.undone({ id: m.id, fileName: m.fileName, label: m.label, transaction: m.transaction });
            ctx.revision(after.revision);
            const now = `${undone.length} of the ${count} undone; the database is at ${after.revision.none ? 'no migration' : after.revision.id}`;
            if (undone.length === count && result.code === 0) {
                ctx.log.info(`node-pg-migrate undid ${count} migration(s) in ${ctx.clock.now() - t0} ms.`);
                return after;
            }
            if (result.signal !== null)
                throw new types/* EngineFailed */.c(`node-pg-migrate was stopped (${howItEnded(result)}) while it rolled back: ${now}.`);
            const parsed = node_pg_migrate_parseFailure(result, 'DOWN');
            // Undone in order, the latest first: the first one still applied is where it stopped.
            const failing = plan.toUndo.find((m) => stillApplied.has(m.id));
            const file = failing === undefined ? undefined : byName.get(failing.id);
            const said = parsed.message === undefined ? `it ended with ${howItEnded(result)}` : scrubbed(parsed.message);
            const sqlstate = parsed.code ? ` (SQLSTATE ${parsed.code})` : '';
            if (!file) {
                throw new types/* EngineFailed */.c(`node-pg-migrate down ${count} failed: ${said}${sqlstate}; ${now}. See its output above.`, { code: parsed.code });
            }
            const line = file.kind === 'sql' && file.downStart !== undefined && parsed.position !== undefined
                ? lineAt(file.text, indexOfPosition(file.text, file.downStart, parsed.position))
                : undefined;
            throw new types/* EngineFailed */.c(`Undoing ${file.label} failed${line === undefined ? '' : ` at line ${line}`}: ${said}${sqlstate}; it was rolled back; ${now}. Fix its down migration, then run the rollback again.`, { location: { file: file.label, line }, code: parsed.code });
        },
        async baseline(ctx, state, toRecord) {
            if (toRecord.length === 0)
                return state;
            ctx.log.info(`Running node-pg-migrate up ${toRecord.length} --fake (${(0,errors/* listed */.KE)(toRecord.map((m) => m.fileName), 10)}) ...`);
            const after = await up(ctx, toRecord, true, `recording ${toRecord.length} migration(s) without running them`);
            ctx.log.info(`The database is at revision ${revisionText(after.revision)}.`);
            return after;
        },
    };
}

// EXTERNAL MODULE: ./lib/migrations/apply.js
var apply = __nccwpck_require__(4017);
;// CONCATENATED MODULE: external "node:buffer"
const external_node_buffer_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:buffer");
;// CONCATENATED MODULE: ./lib/migrations/table.js
/** postgres-migrations 5.3.0 `dist/migrations/0_create-migrations-table.sql`, byte for byte (a unit test compares). */
const CREATE_MIGRATIONS_TABLE_FILE = "0_create-migrations-table.sql";
const CREATE_MIGRATIONS_TABLE_SQL = "CREATE TABLE IF NOT EXISTS migrations (\n  id integer PRIMARY KEY,\n  name varchar(100) UNIQUE NOT NULL,\n  hash varchar(40) NOT NULL, -- sha1 hex encoded hash of the file name and contents, to ensure it hasn't been altered since applying the migration\n  executed_at timestamp DEFAULT current_timestamp\n);\n";

;// CONCATENATED MODULE: ./lib/migrations/files.js







const DISABLE_TRANSACTION_MARKER = '-- postgres-migrations disable-transaction';
/** Files postgres-migrations considers: any name ending in .sql or .js (case-insensitive). */
const CANDIDATE = /\.(sql|js)$/i;
/** postgres-migrations' own file-name rule, with the `.` before the extension made literal. */
const files_FILE_NAME = /^(-?\d+)[-_]?(.*)\.(sql|js)$/i;
const MAX_ID = 2_147_483_647;
function hashMigration(fileName, sql) {
    // The one-shot hash: for thousands of small files, a Hash object per file costs more than the SHA-1.
    return (0,external_node_crypto_.hash)('sha1', fileName + sql, 'hex');
}
/** The built-in migration 0 that creates the `migrations` table, exactly as postgres-migrations ships it. */
function tableMigration() {
    return {
        id: 0,
        name: 'create-migrations-table',
        fileName: CREATE_MIGRATIONS_TABLE_FILE,
        label: CREATE_MIGRATIONS_TABLE_FILE,
        sql: CREATE_MIGRATIONS_TABLE_SQL,
        hash: hashMigration(CREATE_MIGRATIONS_TABLE_FILE, CREATE_MIGRATIONS_TABLE_SQL),
        kind: 'sql',
        transaction: true,
    };
}
/** Parse a file name; `undefined` when it has no id. Pure. */
function parseFileName(fileName) {
    const match = files_FILE_NAME.exec(fileName);
    if (!match)
        return undefined;
    const [, id, name, ext] = match;
    return {
        id: Number.parseInt(id, 10),
        name: name === '' ? fileName : name,
        fileName,
        kind: ext.toLowerCase(),
    };
}
/**
 * Check names and ids: every candidate has an id, ids are 1..N with no gap and no duplicate. Pure; the
 * error names the file(s) and the fix.
 */
function validateFileNames(fileNames, dirLabel) {
    refuseDownForms(fileNames, dirLabel);
    const named = idsInOrder(fileNames) ?? explainBadNames(fileNames, dirLabel);
    checkNames(named, dirLabel);
    return named;
}
/** Down files named beside their up files: golang-migrate's `.down.sql`, postgrator's `.undo.sql`. */
const DOWN_FORM = /\.(down|undo)\.(sql|js)$/i;
/**
 * A down file beside the up files is read by postgres-migrations as one more up migration (it fails with
 * "Found a non-consecutive migration ID", or runs it as the next one): refused, pointing at `down/`.
 */
function refuseDownForms(fileNames, dirLabel) {
    for (const fileName of fileNames) {
        const match = DOWN_FORM.exec(fileName);
        if (!match || !CANDIDATE.test(fileName))
            continue;
        const upName = `${fileName.slice(0, match.index)}.${match[2]}`;
        throw new errors/* UserError */.yo(`Migration file ${dirLabel}/${fileName} looks like a down file, but postgres-migrations reads every .sql and .js file of ${dirLabel} as an up migration ` +
            `(it fails with "Found a non-consecutive migration ID", or runs it as the next one): move it to ${dirLabel}/down/${upName}, the name of the file it undoes.`, { location: { file: `${dirLabel}/${fileName}` } });
    }
}
/**
 * `migrations.name` is `varchar(100) UNIQUE`: two files with the same name after the id, or a name of
 * more than 100 characters, could never both be recorded (postgres-migrations fails on them too, half-way).
 */
function checkNames(named, dirLabel) {
    const seen = new Map();
    for (const file of named) {
        if ([...file.name].length > 100) {
            throw new errors/* UserError */.yo(`Migration file ${dirLabel}/${file.fileName} has a name of ${[...file.name].length} characters after its id; the migrations table keeps at most 100: shorten it.`, { location: { file: `${dirLabel}/${file.fileName}` } });
        }
        const other = seen.get(file.name);
        if (other) {
            throw new errors/* UserError */.yo(`Migration files ${other.fileName} and ${file.fileName} in ${dirLabel} have the same name "${file.name}" after their ids; ` +
                'the migrations table keeps names unique: rename the later one.', { location: { file: `${dirLabel}/${file.fileName}` } });
        }
        seen.set(file.name, file);
    }
}
/**
 * The common case in one pass, without sorting names: distinct ids whose largest equals their count are
 * exactly 1..N with no gap. Undefined on any problem, which explainBadNames then finds and words.
 */
function idsInOrder(fileNames) {
    const slots = new Array(fileNames.length);
    let count = 0;
    let maxId = 0;
    for (const fileName of fileNames) {
        const parsed = parseFileName(fileName);
        if (!parsed) {
            if (CANDIDATE.test(fileName))
                return undefined;
            continue;
        }
        if (parsed.id < 1 || parsed.id > fileNames.length || slots[parsed.id - 1])
            return undefined;
        slots[parsed.id - 1] = parsed;
        count += 1;
        maxId = Math.max(maxId, parsed.id);
    }
    // Distinct ids from 1 up to as many as there are candidates fill every slot: 1..count, no gap.
    if (count === 0 || maxId !== count)
        return undefined;
    slots.length = count;
    return slots;
}
/** The slow path of validateFileNames: names in order, so that the first problem reported is stable. */
function explainBadNames(fileNames, dirLabel) {
    const candidates = fileNames.filter((f) => CANDIDATE.test(f)).sort();
    if (candidates.length === 0) {
        throw new errors/* UserError */.yo(`migrations-dir "${dirLabel}" has no migration files; add files named <id>_<name>.sql (e.g. 1_create-users.sql), ` +
            'or point migrations-dir at the directory that holds them.');
    }
    const named = [];
    for (const fileName of candidates) {
        const parsed = parseFileName(fileName);
        if (/[\n\r\u2028\u2029]/.test(fileName)) {
            throw new errors/* UserError */.yo(`Migration file name ${JSON.stringify(fileName)} in ${dirLabel} contains a line break; rename it to <id>_<name>.sql on one line.`);
        }
        if (!parsed) {
            throw new errors/* UserError */.yo(`Migration file ${dirLabel}/${fileName} has no id at the start of its name; rename it to <id>_<name>.sql, ` +
                'e.g. 4_add-email.sql.', { location: { file: `${dirLabel}/${fileName}` } });
        }
        if (parsed.id < 1 || parsed.id > MAX_ID) {
            throw new errors/* UserError */.yo(`Migration file ${dirLabel}/${fileName} has id ${parsed.id}; ids start at 1 (0 is the built-in table ` +
                'migration) and count up by one: rename it to the next free id.', { location: { file: `${dirLabel}/${fileName}` } });
        }
        named.push(parsed);
    }
    const byId = new Map();
    for (const file of named)
        byId.set(file.id, [...(byId.get(file.id) ?? []), file]);
    for (const [id, files] of [...byId].sort((a, b) => a[0] - b[0])) {
        if (files.length > 1) {
            const list = files.map((f) => f.fileName).join(', ');
            throw new errors/* UserError */.yo(`Migration files ${list} in ${dirLabel} share id ${id}: most likely two branches each added a migration. ` +
                `Renumber the one merged last to ${Math.max(...byId.keys()) + 1} (ids must stay unique and consecutive).`, { location: { file: `${dirLabel}/${files[1].fileName}` } });
        }
    }
    const sorted = named.sort((a, b) => a.id - b.id);
    sorted.forEach((file, index) => {
        const expected = index + 1;
        if (file.id !== expected) {
            const before = index === 0 ? 'the start' : sorted[index - 1].fileName;
            throw new errors/* UserError */.yo(`Migration ids must be consecutive: ${dirLabel}/${file.fileName} has id ${file.id} but follows ${before}, ` +
                `so id ${expected} is missing; restore the missing file or rename ${file.fileName} to start with ${expected}_.`, { location: { file: `${dirLabel}/${file.fileName}` } });
        }
    });
    return sorted;
}
const DEFAULT_LOAD_OPTIONS = { jsEnv: jsMigrationEnv(process.env, []), cwd: process.cwd(), jsOutput: () => undefined };
/**
 * Load and validate every migration file in `dir`, before anything is sent to the database. Returns id 0
 * (the table migration) followed by 1..N. Errors name the file and the fix.
 *
 * Files are read synchronously, in slices of 256 with a turn of the event loop between them (so that the
 * connection opened meanwhile makes progress): for thousands of small files that is several times faster
 * than asynchronous reads, each of which is a round trip through libuv's thread pool (measured by
 * `npm run bench`, no-op at N=1,000 and 10,000). `.js` files are run in one child process (js-loader.ts).
 */
async function loadMigrations(dir, dirLabel, options = DEFAULT_LOAD_OPTIONS) {
    let entries;
    try {
        if (!(0,external_node_fs_.statSync)(dir).isDirectory()) {
            throw new errors/* UserError */.yo(`migrations-dir "${dirLabel}" is a file, not a directory; point it at the directory of migration files.`);
        }
        entries = (0,external_node_fs_.readdirSync)(dir, { withFileTypes: true });
    }
    catch (error) {
        if (error instanceof errors/* UserError */.yo)
            throw error;
        throw new errors/* UserError */.yo(describeFsError(error, `migrations-dir "${dirLabel}"`, 'directory'), { cause: error });
    }
    const named = validateFileNames(entries.map((e) => e.name), dirLabel);
    const types = new Map(entries.map((e) => [e.name, e]));
    const realDir = (0,external_node_fs_.realpathSync)(dir);
    const texts = [];
    const js = [];
    for (const [index, file] of named.entries()) {
        const fullPath = `${dir}${external_node_path_.sep}${file.fileName}`;
        const label = `${dirLabel}/${file.fileName}`;
        texts.push(readMigrationFile(fullPath, realDir, dirLabel, label, file, types.get(file.fileName)));
        if (file.kind === 'js')
            js.push({ fullPath, label });
        // Let other work started with this run (the connection to the database) make progress meanwhile.
        if (index % 256 === 255)
            await new Promise((resolve) => setImmediate(resolve));
    }
    const generated = js.length > 0 ? await generateSqlInChild(js, { env: options.jsEnv, cwd: options.cwd, output: options.jsOutput, signal: options.signal }) : undefined;
    const files = [tableMigration()];
    for (const [index, file] of named.entries()) {
        const label = `${dirLabel}/${file.fileName}`;
        const sql = file.kind === 'sql' ? texts[index] : generated.get(`${dir}${external_node_path_.sep}${file.fileName}`);
        if (file.kind === 'js')
            refuseNul(sql, label);
        files.push({
            id: file.id,
            name: file.name,
            fileName: file.fileName,
            kind: file.kind,
            label,
            sql,
            hash: hashMigration(file.fileName, sql),
            transaction: !sql.includes(DISABLE_TRANSACTION_MARKER),
        });
    }
    return files;
}
/**
 * Whether `target` lies outside `dir`. A name that merely starts with two dots is inside: a Kubernetes
 * ConfigMap volume links each file to `..data/<file>`, and `..data` to `..2026_11_25_…`. Pure.
 */
function isOutside(dir, target) {
    const relative = external_node_path_.relative(dir, target);
    return relative === '..' || relative.startsWith(`..${external_node_path_.sep}`) || external_node_path_.isAbsolute(relative);
}
/** Where the down file of an up file lives: `<migrations-dir>/down/<the same file name>`. */
const DOWN_DIR = 'down';
/**
 * The down files of `ups` (`<dir>/down/<file name>`), as MigrationFiles with the up file's id and name;
 * undefined for an up file that has none. Read with the rules of up files (a regular file or a link
 * inside the directory, UTF-8, no NUL); a `.js` down file's SQL comes from its generateSql().
 */
async function loadDownFiles(dir, dirLabel, ups, options = DEFAULT_LOAD_OPTIONS) {
    const downDir = external_node_path_.join(dir, DOWN_DIR);
    const downLabel = `${dirLabel}/${DOWN_DIR}`;
    const found = new Map();
    let realDir;
    let present = true;
    try {
        (0,external_node_fs_.lstatSync)(downDir);
    }
    catch (error) {
        if (error.code !== 'ENOENT')
            throw new errors/* UserError */.yo(describeFsError(error, downLabel, 'directory'), { cause: error });
        present = false;
    }
    if (present) {
        // There, but not a directory to read (a file, a broken link, a link loop): say so, rather than report
        // every down file as missing.
        if (!isDirectory(downDir)) {
            throw new errors/* UserError */.yo(`${downLabel} is not a directory (a file, or a link that leads nowhere); it must be the directory of down files, named like the files they undo.`, {
                location: { file: downLabel },
            });
        }
        realDir = (0,external_node_fs_.realpathSync)(downDir);
    }
    // Like an up file's link, a linked down/ must stay inside the migrations directory.
    if (realDir !== undefined && isOutside((0,external_node_fs_.realpathSync)(dir), realDir)) {
        throw new errors/* UserError */.yo(`${downLabel} is a link to a directory outside ${dirLabel}; keep the down files in ${downLabel} itself.`, { location: { file: downLabel } });
    }
    const texts = new Map();
    const js = [];
    for (const up of ups) {
        const fullPath = external_node_path_.join(downDir, up.fileName);
        const label = `${downLabel}/${up.fileName}`;
        let entry;
        try {
            entry = realDir === undefined ? undefined : (0,external_node_fs_.lstatSync)(fullPath);
        }
        catch (error) {
            if (error.code !== 'ENOENT')
                throw new errors/* UserError */.yo(describeFsError(error, `Down file ${label}`, 'file'), { cause: error });
        }
        if (entry === undefined) {
            found.set(up.id, undefined);
            continue;
        }
        texts.set(up.id, readMigrationFile(fullPath, realDir, downLabel, label, up, entry));
        if (up.kind === 'js')
            js.push({ fullPath, label });
    }
    const generated = js.length > 0 ? await generateSqlInChild(js, { env: options.jsEnv, cwd: options.cwd, output: options.jsOutput, signal: options.signal }) : undefined;
    for (const up of ups) {
        if (!texts.has(up.id))
            continue;
        const label = `${downLabel}/${up.fileName}`;
        const sql = up.kind === 'sql' ? texts.get(up.id) : generated.get(external_node_path_.join(downDir, up.fileName));
        if (up.kind === 'js')
            refuseNul(sql, label);
        found.set(up.id, { ...up, label, sql, hash: hashMigration(up.fileName, sql), transaction: !sql.includes(DISABLE_TRANSACTION_MARKER) });
    }
    return found;
}
/** Whether `dir` leads to a directory (false for anything else, a broken link or a link loop included). */
function isDirectory(dir) {
    try {
        return (0,external_node_fs_.statSync)(dir).isDirectory();
    }
    catch {
        return false;
    }
}
/** Reused for every file: migrations are small, so one read fills it and a short read means the end. */
const scratch = Buffer.allocUnsafe(256 * 1024);
/** A migration file's text, after checking that it is a file of the directory and is UTF-8. */
function readMigrationFile(fullPath, realDir, dirLabel, label, file, entry) {
    const location = { file: label };
    let bytes;
    try {
        // A plain file in the directory needs no checks; a link must stay inside it and lead to a file.
        if (!entry.isFile()) {
            if (!entry.isSymbolicLink() || !(0,external_node_fs_.statSync)(fullPath).isFile()) {
                throw new errors/* UserError */.yo(`Migration file ${label} is not a regular file; remove it or rename it so it does not end in .${file.kind}.`, {
                    location,
                });
            }
            if (isOutside(realDir, (0,external_node_fs_.realpathSync)(fullPath))) {
                throw new errors/* UserError */.yo(`Migration file ${label} is a link to a file outside ${dirLabel}; copy the file into the directory instead.`, { location });
            }
        }
        const fd = (0,external_node_fs_.openSync)(fullPath, 'r');
        try {
            const length = (0,external_node_fs_.readSync)(fd, scratch, 0, scratch.length, 0);
            bytes = length < scratch.length ? scratch.subarray(0, length) : (0,external_node_fs_.readFileSync)(fd);
        }
        finally {
            (0,external_node_fs_.closeSync)(fd);
        }
    }
    catch (error) {
        if (error instanceof errors/* UserError */.yo)
            throw error;
        throw new errors/* UserError */.yo(describeFsError(error, `Migration file ${label}`, 'file'), { cause: error, location });
    }
    // Strict UTF-8 (as TextDecoder's fatal mode); a BOM stays in the text, as postgres-migrations reads it.
    // Decoding turns any invalid sequence into U+FFFD, so only a text that holds one needs the full check.
    const text = bytes.toString('utf8');
    if (text.includes('\uFFFD') && !(0,external_node_buffer_namespaceObject.isUtf8)(bytes)) {
        throw new errors/* UserError */.yo(`Migration file ${label} is not valid UTF-8; save it as UTF-8.`, { location });
    }
    if (file.kind === 'sql')
        refuseNul(text, label);
    return text;
}
/**
 * PostgreSQL's protocol cannot carry a NUL character (the server would answer "invalid message format").
 * A file saved as UTF-16 has one in every other byte.
 */
function refuseNul(sql, label) {
    const at = sql.indexOf('\0');
    if (at < 0)
        return;
    const line = sql.slice(0, at).split('\n').length;
    throw new errors/* UserError */.yo(`Migration file ${label} contains a NUL character (at line ${line}), which PostgreSQL cannot receive; remove it ` +
        '(a file saved as UTF-16 has one in every character: save it as UTF-8).', { location: { file: label, line } });
}
function describeFsError(error, what, kind) {
    const code = error.code;
    switch (code) {
        case 'ENOENT':
            return kind === 'directory'
                ? `${what} does not exist; set migrations-dir to the directory of migration files, relative to the workspace (and check out the repository first).`
                : `${what} disappeared or is a broken link; restore it.`;
        case 'EACCES':
        case 'EPERM':
            return `${what} cannot be read (permission denied); make it readable by the user that runs this step.`;
        case 'ENOTDIR':
            return `${what} is not a directory; point it at the directory of migration files.`;
        case 'ELOOP':
            return `${what} is a link that points to itself; replace it with the file.`;
        default:
            return `${what} cannot be read (${code ?? (0,errors/* messageOf */.bD)(error)}); check the path and its permissions.`;
    }
}

;// CONCATENATED MODULE: ./lib/migrations/state.js




const NO_REVISION = { id: 0, name: '' };
/**
 * The applied rows, in id order; `[]` when the table does not exist yet.
 *
 * With `files`, the server first sends one digest of its rows instead of the rows: when the rows are
 * exactly files 0..k (the usual case, nothing changed since they were applied), the digest of those
 * files matches and the rows are those files' id, name and hash, without sending and parsing every row
 * (at 10,000 migrations that is most of the client's work). Any difference, or a table that is not
 * 0..k, reads the rows themselves, so that drift is reported as precisely as ever.
 *
 * No table on the search_path while another schema has one with our columns is refused: it is the same
 * database reached without its usual search_path, and going on would create a second table and run
 * every migration again. With `lockPid`, the statements must run in that server session (the one that
 * holds the migration lock), or poolerError is thrown.
 */
async function readAppliedRows(client, files, lockPid) {
    return (await readAppliedState(client, files, lockPid)).rows;
}
/** readAppliedRows, and where the table is. */
async function readAppliedState(client, files, lockPid) {
    const { rows: found } = await client.query(TABLE_SQL);
    const { present, elsewhere, search_path: searchPath, pid } = found[0];
    const table = found[0].schema === null ? 'migrations' : `${found[0].schema}.migrations`;
    if (lockPid !== undefined && pid !== lockPid) {
        throw (0,session/* poolerError */.cG)(`the migration lock is held by server session pid ${lockPid}, but the migrations table was read in pid ${pid}`);
    }
    if (!present) {
        if (elsewhere) {
            const first = elsewhere.split(', ')[0];
            throw new errors/* UserError */.yo(`No "migrations" table is on this session's search_path (${searchPath}), but schema ${elsewhere} has one with the columns id, ` +
                'name and hash: the database was probably reached without its usual search_path, and going on would create a second table ' +
                `and run every migration again. Set the search_path: settings: search_path=${first} (or ALTER ROLE … SET search_path, ` +
                'ALTER DATABASE … SET search_path). Nothing was applied.');
        }
        return { rows: [], table };
    }
    try {
        if (files) {
            const { rows } = await client.query(ROWS_DIGEST_SQL);
            const { n, digest } = rows[0];
            if (n === 0)
                return { rows: [], table };
            // The files themselves stand for the rows: same id, name and hash.
            const applied = files.slice(0, n);
            if (n <= files.length && digest === filesDigest(applied))
                return { rows: [...applied], table };
        }
        const { rows } = await client.query('SELECT id, name, hash FROM migrations ORDER BY id');
        return { rows, table };
    }
    catch (error) {
        if (error.code === '42703') {
            throw new errors/* UserError */.yo('The table "migrations" in this database has no id, name and hash columns: it belongs to another tool ' +
                '(e.g. TypeORM); this tool keeps its history in that table name, so use another database or schema (search_path in database-url options).', { cause: error });
        }
        throw error;
    }
}
/**
 * Our table on the search_path and its schema (or the schema it would be created in), or else the
 * schemas that hold a table that looks like ours.
 */
const TABLE_SQL = "SELECT to_regclass('migrations') IS NOT NULL AS present, current_setting('search_path') AS search_path, pg_backend_pid() AS pid, " +
    "COALESCE((SELECT quote_ident(n.nspname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass('migrations')), " +
    'quote_ident(current_schema())) AS schema, ' +
    "CASE WHEN to_regclass('migrations') IS NULL THEN (SELECT string_agg(DISTINCT n.nspname, ', ') FROM pg_class c " +
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'migrations' AND c.relkind IN ('r', 'p') " +
    "AND (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname IN ('id', 'name', 'hash') AND NOT a.attisdropped) = 3) END AS elsewhere";
/**
 * One line per row, `<id> <hash> <characters in name> <name>`, joined by newlines in id order, then
 * SHA-256 of its UTF-8 (sha256() exists from PostgreSQL 11). The name's length makes the lines
 * unambiguous whatever the name holds; a NULL anywhere makes the digest differ, never match.
 */
const ROWS_DIGEST_SQL = "SELECT count(*)::int AS n, encode(sha256(convert_to(string_agg(id || ' ' || hash || ' ' || char_length(name) || ' ' || name, " +
    "E'\\n' ORDER BY id), 'UTF8')), 'hex') AS digest FROM migrations";
/** The digest ROWS_DIGEST_SQL computes, for rows that would be exactly `files`. */
function filesDigest(files) {
    const lines = files.map((f) => `${f.id} ${f.hash} ${codePoints(f.name)} ${f.name}`);
    return (0,external_node_crypto_.hash)('sha256', lines.join('\n'), 'hex');
}
/** char_length in PostgreSQL counts characters; a JavaScript string's length counts UTF-16 units. */
function codePoints(text) {
    let surrogatePairs = 0;
    for (let i = 0; i < text.length; i += 1) {
        const unit = text.charCodeAt(i);
        if (unit >= 0xd800 && unit <= 0xdbff)
            surrogatePairs += 1;
    }
    return text.length - surrogatePairs;
}
/**
 * Record `files` as applied without running them, in one transaction (baseline). Id 0 is the table
 * itself: its SQL runs (it only creates the table) so that the history is complete.
 */
async function recordBaseline(client, files) {
    await client.query('BEGIN');
    try {
        if (files[0]?.id === 0)
            await client.query(files[0].sql);
        // A thousand rows per statement: adopting a database with 100,000 migrations is seconds, not minutes.
        for (let i = 0; i < files.length; i += 1_000) {
            const slice = files.slice(i, i + 1_000);
            await client.query('INSERT INTO migrations ("id", "name", "hash") SELECT * FROM unnest($1::int[], $2::varchar[], $3::varchar[])', [
                slice.map((f) => f.id),
                slice.map((f) => f.name),
                slice.map((f) => f.hash),
            ]);
        }
        await client.query('COMMIT');
    }
    catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
    }
}
/** The highest applied id and its name. */
function state_revisionOf(rows) {
    const last = rows.reduce((max, row) => (max === undefined || row.id > max.id ? row : max), undefined);
    return last && last.id > 0 ? { id: last.id, name: last.name } : NO_REVISION;
}
/**
 * Compare the applied rows with the files and return the pending files, in id order. Throws on drift:
 * an applied file that changed (saying when only line endings or a BOM differ), an applied id with no
 * file, or a pending file below the applied head. Pure.
 */
function pendingMigrations(files, rows, dirLabel) {
    // Ids are small consecutive integers: arrays indexed by id (10,000 rows in a few hundred microseconds).
    const byId = [];
    for (const file of files)
        byId[file.id] = file;
    const applied = [];
    for (const row of rows) {
        applied[row.id] = true;
        const file = byId[row.id];
        if (!file) {
            throw new errors/* UserError */.yo(`The database has migration ${row.id} "${row.name}" applied, but ${dirLabel} has no file with id ${row.id}; ` +
                'restore the file (an applied migration must never be deleted), or check that this commit is not older than the one that migrated the database.');
        }
        if (file !== row && file.hash !== row.hash) {
            throw new errors/* UserError */.yo(driftMessage(file, row), { location: { file: file.label } });
        }
    }
    const head = state_revisionOf(rows).id;
    const pending = files.filter((f) => applied[f.id] !== true);
    const early = pending.find((f) => f.id < head);
    if (early) {
        throw new errors/* UserError */.yo(`Migration ${early.label} (id ${early.id}) is not applied, but migration ${head} already is; ` +
            'ids run in order, so renumber it after the applied head (a new id above every applied one).', { location: { file: early.label } });
    }
    return pending;
}
function driftMessage(file, row) {
    const base = `Migration ${file.label} changed after it was applied (id ${row.id}: hash ${row.hash.slice(0, 12)} in the database, ${file.hash.slice(0, 12)} now)`;
    const fix = 'restore the file exactly as it was applied and put any change in a new migration';
    if (row.name !== file.name) {
        return `${base}: it was applied as "${row.name}" and is now named "${file.name}"; ${fix} (an applied file must keep its name).`;
    }
    const cause = encodingOnlyDifference(file, row.hash);
    if (cause) {
        return `${base}, but the only difference is ${cause}; ${fix}; keep git from converting line endings with "*.sql -text" in .gitattributes.`;
    }
    return `${base}; ${fix}.`;
}
/** Whether the applied hash matches the file with other line endings or with/without a BOM. */
function encodingOnlyDifference(file, appliedHash) {
    if (file.kind !== 'sql')
        return undefined;
    const lf = file.sql.replace(/\r\n/g, '\n');
    const crlf = lf.replace(/\n/g, '\r\n');
    const noBom = (s) => s.replace(/^\uFEFF/, '');
    const bom = (s) => `\uFEFF${noBom(s)}`;
    const variants = [
        [lf, 'the line endings (CRLF vs LF)'],
        [crlf, 'the line endings (CRLF vs LF)'],
        [noBom(file.sql), 'a byte-order mark (BOM) at the start'],
        [bom(file.sql), 'a byte-order mark (BOM) at the start'],
        [noBom(lf), 'the line endings and a byte-order mark'],
        [noBom(crlf), 'the line endings and a byte-order mark'],
        [bom(lf), 'the line endings and a byte-order mark'],
        [bom(crlf), 'the line endings and a byte-order mark'],
    ];
    return variants.find(([sql]) => sql !== file.sql && hashMigration(file.fileName, sql) === appliedHash)?.[1];
}

// EXTERNAL MODULE: ./lib/migrations/transaction-control.js
var transaction_control = __nccwpck_require__(6921);
;// CONCATENATED MODULE: ./lib/engines/postgres-migrations.js








/** postgres-migrations' revision as the frame sees it: the id as text, `0` when none. Pure. */
function nativeRevision(revision) {
    return { id: String(revision.id), name: revision.name, none: revision.id === NO_REVISION.id };
}
function toMigration(file) {
    return {
        id: String(file.id),
        name: file.name,
        fileName: file.fileName,
        label: file.label,
        sql: file.sql,
        sqlLine: file.kind === 'sql' ? 1 : undefined,
        transaction: file.transaction,
    };
}
/**
 * The built-in engine: postgres-migrations' files and table, byte-compatible, run on the run's own
 * connection (the one that holds the lock), each migration in one transaction with its row.
 */
function postgresMigrationsEngine(config, load) {
    let files = [];
    const byId = new Map();
    let rows = [];
    /** The migrations table with its schema, once read; undefined until then. */
    let table;
    let tableExists = false;
    const target = () => {
        if (config.targetRevision === undefined)
            return undefined;
        const id = /^\d+$/.test(config.targetRevision) ? Number(config.targetRevision) : NaN;
        if (!Number.isSafeInteger(id) || id < 1 || id > MAX_MIGRATION_ID) {
            throw new errors/* UserError */.yo(`Input target-revision "${config.targetRevision.slice(0, 40)}" is not a migration id; use the number at the start of a file name, from 1 to ${MAX_MIGRATION_ID} (0 means no migration).`);
        }
        return id;
    };
    /** The session migrations and undos run in, on the run's connection that holds the lock. */
    async function migrationSession(ctx) {
        return {
            lockPid: ctx.lockPid,
            restoreSql: (0,session/* restoreSessionSql */.Xz)(config.settings, (await ctx.session).serverVersion),
            table: table,
            role: config.settings.find((setting) => setting.name.toLowerCase() === 'role')?.value,
        };
    }
    /** The down files of the last rollback plan, by id. */
    const downs = new Map();
    /** A transactional file must not end the transaction it runs in (see checkBeforeApply). */
    async function refuseTransactionEnd(file, what, fix) {
        if (!file.transaction)
            return;
        const found = await (0,transaction_control/* findTransactionEnd */.xB)((0,apply/* executableSql */.lF)(file));
        if (!found)
            return;
        throw new errors/* UserError */.yo(`${what} ${file.label} ends the transaction it runs in: "${found.statement}" at line ${found.line}. Each ${what.toLowerCase()} runs in ` +
            `one transaction together with its row in the migrations table, so this would commit or undo part of the file on its own. ${fix}`, { location: { file: file.label, line: found.line } });
    }
    async function readState(ctx, purpose) {
        const { client, log } = ctx;
        // plan, check and status read in a READ ONLY transaction: nothing they run can change the database.
        if (purpose === 'plan')
            await client.query('BEGIN READ ONLY');
        try {
            // Settings first: a search_path among them decides which `migrations` table is read and written.
            if (config.settings.length > 0) {
                await (0,apply/* applySessionSettings */.sX)(client, config.settings, ctx.session);
                log.info(`Session settings: ${describeSettings(config.settings)}.`);
            }
            const state = await readAppliedState(client, files, ctx.lockPid);
            rows = state.rows;
            table = state.table;
        }
        finally {
            if (purpose === 'plan')
                await client.query('ROLLBACK').catch(() => undefined);
        }
        // Known before the files are compared with the rows: a drift refusal still reports the revision.
        const revision = nativeRevision(state_revisionOf(rows));
        ctx.revision(revision);
        // Also what is pending by id, should the comparison below refuse (drift): the report still lists it.
        const head = Number(revision.id);
        ctx.pending(files.filter((f) => f.id > head).map(toMigration));
        const pending = pendingMigrations(files, rows, config.migrationsDirLabel);
        tableExists = !pending.some((f) => f.id === 0);
        // status shows when each was applied: read only then (the usual read sends a digest, not the rows).
        const executedAt = new Map();
        if (config.command === 'status' && tableExists) {
            const { rows: times } = await client.query(`SELECT id, executed_at::timestamptz AS at FROM ${table}`);
            for (const { id, at } of times)
                if (at)
                    executedAt.set(id, at.toISOString());
        }
        return {
            revision,
            applied: rows
                .filter((r) => r.id > 0)
                .map((r) => ({ id: String(r.id), name: r.name, fileName: byId.get(String(r.id))?.fileName ?? r.name, appliedAt: executedAt.get(r.id) })),
            pending: pending.filter((f) => f.id > 0).map(toMigration),
        };
    }
    return {
        name: 'postgres-migrations',
        runsOnRunConnection: true,
        unsupported: {},
        async prepare() {
            // rollback reads its target itself (0, base, -N or an applied id): see rollbackPlan.
            const wanted = config.command === 'rollback' ? undefined : target();
            files = await loadMigrations(config.migrationsDir, config.migrationsDirLabel, load);
            for (const file of files)
                byId.set(String(file.id), file);
            const last = files[files.length - 1];
            if (wanted !== undefined && wanted > last.id) {
                throw new errors/* UserError */.yo(`Input target-revision ${wanted} is beyond the last migration file, ${last.label} (id ${last.id}); ` +
                    `use an id from 1 to ${last.id}, or add the missing files.`);
            }
            return `${files.length - 1} migration files in ${config.migrationsDirLabel}, ids 1..${last.id}.`;
        },
        readState,
        within(state, _target) {
            const wanted = target();
            return wanted === undefined ? state.pending : state.pending.filter((m) => Number(m.id) <= wanted);
        },
        /**
         * A transactional migration must not end the transaction it runs in: its SQL and its row would no
         * longer commit together. Refused before anything runs, naming the file, the line and the statement.
         */
        async checkBeforeApply(_ctx, toRun) {
            for (const migration of toRun) {
                await refuseTransactionEnd(byId.get(migration.id), 'Migration', 'Remove the statement, or, if the file must control transactions itself, mark it with -- postgres-migrations disable-transaction. Nothing was applied.');
            }
        },
        async apply(ctx, state, toRun) {
            const { client, clock, log } = ctx;
            const session = await migrationSession(ctx);
            const run = [...(tableExists ? [] : [tableMigration()]), ...toRun.map((m) => byId.get(m.id))];
            let appliedCount = 0;
            for (const migration of run) {
                if (ctx.signal?.aborted) {
                    throw new errors/* Cancelled */.cJ(`The run was cancelled (${String(ctx.signal.reason)}) before ${migration.label}: the ${appliedCount} migration(s) before it stay applied; nothing more is applied.`);
                }
                ctx.watch.assertAlive(migration.id === 0 ? 'before the migrations table was created' : `before ${migration.label}`);
                const t0 = clock.now();
                log.info(migration.id === 0 ? 'Creating the migrations table ...' : `Applying ${migration.label}${migration.transaction ? '' : ' (without a transaction)'} ...`);
                ctx.current(migration.id === 0 ? 'the migrations table' : migration.label);
                const applied = () => {
                    if (migration.id === 0)
                        return;
                    appliedCount += 1;
                    ctx.applied({ id: String(migration.id), fileName: migration.fileName, label: migration.label, durationMs: clock.now() - t0, transaction: migration.transaction });
                    ctx.revision(nativeRevision({ id: migration.id, name: migration.name }));
                };
                try {
                    await (0,apply/* applyMigration */.rj)(client, migration, { session, lockRetries: config.lockRetries, clock, log, signal: ctx.signal });
                }
                catch (error) {
                    // Committed before what failed: the report must say it is applied.
                    if (error instanceof apply/* MigrationFailed */.g6 && error.applied)
                        applied();
                    throw error;
                }
                finally {
                    ctx.current(undefined);
                }
                if (migration.id === 0) {
                    tableExists = true;
                    continue;
                }
                applied();
                log.info(`Applied ${migration.label} in ${clock.now() - t0} ms.`);
            }
            const done = new Set(toRun.map((m) => m.id));
            const last = toRun[toRun.length - 1];
            return {
                revision: last ? nativeRevision({ id: Number(last.id), name: last.name }) : state.revision,
                applied: [...state.applied, ...toRun.map((m) => ({ id: m.id, name: m.name, fileName: m.fileName }))],
                pending: state.pending.filter((m) => !done.has(m.id)),
            };
        },
        /** Down files: `<migrations-dir>/down/<the up file's name>`; an up file without one has no way back. */
        async rollbackPlan(_ctx, state, wanted) {
            const { undo, stays } = linearUndo(state, wanted, {
                where: config.migrationsDirLabel,
                idHint: 'the number at the start of a file name',
            });
            const ups = undo.map((record) => byId.get(record.id));
            const found = await loadDownFiles(config.migrationsDir, config.migrationsDirLabel, ups, load);
            downs.clear();
            const irreversible = [];
            for (const up of ups) {
                const down = found.get(up.id);
                if (!down)
                    irreversible.push(`${up.label} (no ${config.migrationsDirLabel}/${DOWN_DIR}/${up.fileName})`);
                else if (!hasStatements((0,apply/* executableSql */.lF)(down)))
                    irreversible.push(`${up.label} (${down.label} has no statement)`);
                else
                    downs.set(String(up.id), down);
            }
            for (const down of downs.values()) {
                await refuseTransactionEnd(down, 'Down file', 'Remove the statement, or, if the file must control transactions itself, mark it with -- postgres-migrations disable-transaction. Nothing was changed.');
            }
            return {
                toUndo: ups.map((up) => {
                    const down = downs.get(String(up.id));
                    return { id: String(up.id), name: up.name, fileName: up.fileName, label: down?.label ?? up.label, sql: down?.sql, transaction: down?.transaction };
                }),
                target: stays ? nativeRevision({ id: Number(stays.id), name: stays.name }) : nativeRevision(NO_REVISION),
                irreversible,
            };
        },
        async rollback(ctx, state, plan) {
            const { client, clock, log } = ctx;
            // Loaded only for a rollback.
            const { undoMigration } = await __nccwpck_require__.e(/* import() */ 723).then(__nccwpck_require__.bind(__nccwpck_require__, 2723));
            const session = await migrationSession(ctx);
            let revision = state.revision;
            let undone = 0;
            for (const [index, migration] of plan.toUndo.entries()) {
                const down = downs.get(migration.id);
                const now = `${undone} migration(s) undone before it stay undone; the database is at revision ${revision.id}`;
                if (ctx.signal?.aborted) {
                    throw new errors/* Cancelled */.cJ(`The run was cancelled (${String(ctx.signal.reason)}) before ${down.label}: ${now}; nothing more is undone.`);
                }
                ctx.watch.assertAlive(`before ${down.label}`);
                const t0 = clock.now();
                log.info(`Undoing ${migration.fileName} with ${down.label}${down.transaction ? '' : ' (without a transaction)'} ...`);
                ctx.current(down.label);
                try {
                    await undoMigration(client, down, session, { now, signal: ctx.signal });
                }
                finally {
                    ctx.current(undefined);
                }
                undone += 1;
                const next = plan.toUndo[index + 1];
                revision = next ? nativeRevision({ id: Number(next.id), name: next.name }) : plan.target;
                ctx.undone({ id: migration.id, fileName: migration.fileName, label: down.label, durationMs: clock.now() - t0, transaction: down.transaction });
                ctx.revision(revision);
                log.info(`Undid ${migration.fileName} in ${clock.now() - t0} ms; the database is at revision ${revision.id}.`);
            }
            const gone = new Set(plan.toUndo.map((m) => m.id));
            return {
                revision,
                applied: state.applied.filter((record) => !gone.has(record.id)),
                pending: [...plan.toUndo.map((m) => toMigration(byId.get(m.id))).reverse(), ...state.pending],
            };
        },
        /** Record ids 1..target-revision as applied without running them. */
        async baseline(ctx, state, toRecord) {
            const wanted = target();
            const beyond = rows.filter((r) => r.id > wanted);
            if (beyond.length > 0) {
                throw new errors/* UserError */.yo(`Cannot baseline at target-revision ${wanted}: the migrations table already has ${beyond
                    .slice(0, 20)
                    .map((r) => `${r.id} "${r.name}"`)
                    .join(', ')}${beyond.length > 20 ? ` and ${beyond.length - 20} more` : ''} ` +
                    'beyond it; baseline only adopts a database whose history stops at or below the target. Use apply instead, or a higher target-revision.');
            }
            const record = [...(tableExists ? [] : [tableMigration()]), ...toRecord.map((m) => byId.get(m.id))];
            await recordBaseline(ctx.client, record);
            tableExists = true;
            const last = byId.get(String(wanted));
            const done = new Set(toRecord.map((m) => m.id));
            return {
                revision: nativeRevision({ id: last.id, name: last.name }),
                applied: [...state.applied, ...toRecord.map((m) => ({ id: m.id, name: m.name, fileName: m.fileName }))],
                pending: state.pending.filter((m) => !done.has(m.id)),
            };
        },
    };
}

;// CONCATENATED MODULE: ./lib/engines/index.js




/** The engine of input `engine`. Where each engine plugs in: one module per tool, behind src/engines/types.ts. */
function createEngine(config, deps) {
    switch (config.engine) {
        case 'postgres-migrations':
            return postgresMigrationsEngine(config, deps.load);
        case 'alembic':
            return alembicEngine(config, deps);
        case 'node-pg-migrate':
            return nodePgMigrateEngine(config, deps);
        case 'dbmate':
            return dbmateEngine(config, deps);
    }
}

// EXTERNAL MODULE: ./lib/migrations/failure.js
var migrations_failure = __nccwpck_require__(4563);
;// CONCATENATED MODULE: ./lib/run.js












function throwIfCancelled(deps, where) {
    if (deps.signal?.aborted)
        throw new errors/* Cancelled */.cJ(`The run was cancelled (${String(deps.signal.reason)}) ${where}`);
}
/**
 * Run `config.command` with `config.engine`: validate files, wait for the database, then apply, plan,
 * check, status or baseline. Never throws: failures are part of the result.
 */
async function runCommand(config, deps) {
    // What stops a tool's program: the run's cancellation, or the loss of the connection that holds our
    // lock (without it, the tool would migrate on unguarded: dbmate has no lock of its own).
    const stopTools = new AbortController();
    const cancelled = () => stopTools.abort(deps.signal.reason);
    if (deps.signal?.aborted)
        cancelled();
    else
        deps.signal?.addEventListener('abort', cancelled, { once: true });
    const engine = createEngine(config, { log: deps.log, clock: deps.clock, signal: stopTools.signal, env: deps.env ?? process.env, workspace: config.workspace, load: deps.load });
    try {
        return await runWith(engine, config, deps, stopTools);
    }
    finally {
        deps.signal?.removeEventListener('abort', cancelled);
        await engine.close?.().catch((error) => deps.log.warning(`Stopping ${engine.name} failed: ${(0,errors/* messageOf */.bD)(error)}`));
    }
}
async function runWith(engine, config, deps, stopTools) {
    const { clock, log } = deps;
    const started = clock.now();
    const progress = { applied: [], rolledBack: [] };
    const finish = (status, error) => {
        const done = new Set(progress.applied.map((a) => a.id));
        return {
            command: config.command,
            engine: config.engine,
            status,
            endpoint: config.endpoint,
            previous: progress.previous,
            revision: progress.revision,
            applied: progress.applied,
            planned: progress.planned,
            review: progress.review,
            findings: progress.findings,
            shadow: progress.shadow,
            rolledBack: progress.rolledBack,
            undo: progress.undo,
            backupsRemoved: progress.backupsRemoved,
            history: progress.history,
            baselined: progress.baselined,
            // What a rollback undid is pending again, before what already was (oldest first).
            pending: progress.pending && progress.revision
                ? [...progress.rolledBack.map((m) => m.fileName).reverse(), ...progress.pending.filter((m) => !done.has(m.id)).map((m) => m.fileName)]
                : undefined,
            targetRevision: config.targetRevision,
            backup: progress.backup,
            error,
            durationMs: clock.now() - started,
        };
    };
    const refusal = engine.unsupported[config.command];
    if (refusal) {
        return finish('failed', { message: `Command ${config.command} is not available for engine ${engine.name}: ${refusal}.`, expected: true });
    }
    // The first connection attempt starts now, and the server forks a backend and checks the password
    // while the files are read (they are read in slices that let it progress). Nothing is sent on it
    // before the files are valid; if they are not, it is closed unused.
    const early = (0,connect/* startConnecting */.FW)(config.databaseUrl, config.waitTimeoutMs, log);
    let watch;
    try {
        await log.group('Validate migration files', async () => {
            const found = await engine.prepare();
            if (found)
                log.info(found);
        }).catch((error) => {
            early.abandon();
            throw error;
        });
        throwIfCancelled(deps, 'before it connected; nothing was applied.');
        const connected = await log.group(`Wait for the database (${(0,connect/* describeEndpoint */.N2)(config.endpoint)})`, () => (0,connect/* connectWithWait */.MB)(config.databaseUrl, config.endpoint, config.waitTimeoutMs, clock, log, early.attempt, deps.signal));
        const { client } = connected;
        watch = (0,session/* watchConnection */.qq)(client);
        watch.onLost(() => stopTools.abort('the connection that holds the migration lock was lost'));
        const applicationName = engineApplicationName(engine.name);
        // A cancelled run stops the statement its session is running on the server (a migration is then
        // rolled back, a lock wait ends), and the statements of the engine's sessions, which outlive a
        // stopped program (a CREATE INDEX CONCURRENTLY would otherwise finish unrecorded).
        // While an engine's program runs, our own session is idle: a CancelRequest for it would instead
        // cancel the next statement it runs, which is the one that cancels the engine's sessions.
        let programsRunning = 0;
        const busy = async (work) => {
            programsRunning += 1;
            try {
                return await work();
            }
            finally {
                programsRunning -= 1;
            }
        };
        const cancel = () => {
            if (programsRunning > 0)
                void cancelEngineSessions(connected, applicationName);
            else
                void (0,connect/* cancelRunningStatement */.TY)(config.databaseUrl, client);
        };
        deps.signal?.addEventListener('abort', cancel, { once: true });
        let status;
        try {
            throwIfCancelled(deps, 'while it connected; nothing was applied.');
            const db = {
                client,
                info: connected.session,
                watch,
                connectAgain: async () => (await (0,connect/* connectWithWait */.MB)(config.databaseUrl, config.endpoint, Math.min(config.waitTimeoutMs, 10_000), clock, silent)).client,
            };
            client.on('notice', (notice) => {
                // One line whatever the server sends: a line break in a message must not start a line of its own.
                const text = (0,errors/* oneLine */.TN)(`${notice.severity ?? 'NOTICE'} from ${db.current ?? 'the database'}: ${notice.message ?? ''}${notice.detail ? ` (${notice.detail})` : ''}`);
                if (notice.severity === 'WARNING')
                    log.warning(text);
                else
                    log.info(text);
            });
            const encrypted = isEncrypted(client);
            const context = () => ({
                config,
                log,
                clock,
                // An engine that runs on our connection notices a lost connection itself; only a cancel stops it.
                signal: engine.runsOnRunConnection ? deps.signal : stopTools.signal,
                client,
                lockPid: db.lockPid,
                session: db.info,
                watch: db.watch,
                engineUrl: (extra, options) => engineUrl(config.databaseUrl, applicationName, encrypted, engineSettings(config.settings, options), extra),
                busy,
                spawn: (request) => busy(() => runEngineProgram(request, deps.env ?? process.env, log, stopTools.signal)),
                applied: (entry) => void progress.applied.push(entry),
                undone: (entry) => void progress.rolledBack.push(entry),
                current: (label) => void (db.current = label),
                revision: (revision) => {
                    // The first revision the run learns is where the database was before it.
                    progress.previous ??= revision;
                    progress.revision = revision;
                },
                pending: (pending) => void (progress.pending = pending),
            });
            if (config.command === 'plan' || config.command === 'check' || config.command === 'status') {
                status = await plan(engine, context(), config, deps, progress);
            }
            else if (config.command === 'rollback' && config.dryRun) {
                status = await rollbackDryRun(engine, context(), config, deps, progress);
            }
            else {
                status = await withLock(engine, db, config, deps, progress, context, () => config.command === 'baseline'
                    ? baseline(engine, context(), config, deps, progress)
                    : config.command === 'rollback'
                        ? rollback(engine, db, context(), config, deps, progress)
                        : run_apply(engine, db, context(), config, deps, progress));
            }
        }
        finally {
            deps.signal?.removeEventListener('abort', cancel);
            watch.closing();
            await client.end().catch((error) => log.warning(`Closing the connection failed: ${(0,errors/* messageOf */.bD)(error)}`));
        }
        if (config.command === 'check' && status === 'pending') {
            const names = (0,errors/* listed */.KE)(progress.planned.map((p) => p.fileName));
            return finish(status, {
                message: `${progress.planned.length} migration(s) pending (${names}); the database is behind this commit: run apply before deploying.`,
                expected: true,
            });
        }
        return finish(status);
    }
    catch (error) {
        // Never connected: the attempt started with the file check must not keep the process alive.
        if (watch === undefined)
            early.abandon();
        if (deps.signal?.aborted && !(error instanceof errors/* Cancelled */.cJ) && !(error instanceof apply/* MigrationFailed */.g6) && !(error instanceof types/* EngineFailed */.c)) {
            // Whatever the cancellation broke (a lock wait, a read, the backup), the report says it was cancelled.
            const what = error instanceof errors/* UserError */.yo ? `: ${error.message}` : '';
            const applied = progress.applied.length;
            const undone = progress.rolledBack.length;
            const outcome = config.command === 'rollback'
                ? undone > 0
                    ? `The ${undone} migration(s) undone before it stay undone; nothing more is undone.`
                    : 'Nothing was rolled back.'
                : applied > 0
                    ? `The ${applied} migration(s) applied before it stay applied; nothing more is applied.`
                    : 'Nothing was applied.';
            return finish('failed', { message: `The run was cancelled (${String(deps.signal.reason)})${what}. ${outcome}`, expected: true });
        }
        if (error instanceof apply/* MigrationFailed */.g6 || error instanceof types/* EngineFailed */.c)
            log.error(error.message, error.location);
        // What is applied could not be read after the tool ran: the outputs say nothing rather than guess.
        if (error instanceof types/* EngineFailed */.c && error.stateUnknown)
            progress.revision = progress.pending = undefined;
        const lost = watch?.lost();
        if (lost && error instanceof types/* EngineFailed */.c) {
            // The tool was stopped because our lock went with the connection: say that first.
            return finish('failed', { message: `${(0,session/* lostConnection */.LQ)(lost, `while ${engine.name} ran`).message} ${error.message}`, expected: true });
        }
        return finish('failed', toRunError(error, lost, config.command));
    }
}
/** Whether our own connection is encrypted: an engine is then told sslmode=require when the URL says nothing. */
function isEncrypted(client) {
    const stream = client.connection?.stream;
    return stream?.encrypted === true;
}
/** Cancel what the engine's sessions run on the server (found by the application_name given to the engine). */
async function cancelEngineSessions(connected, applicationName) {
    await connected.client
        .query('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [applicationName])
        .catch(() => undefined);
}
/** A log that says nothing: for the second connection of the pooler check. */
const silent = { info: () => undefined, warning: () => undefined, error: () => undefined, group: (_, fn) => fn() };
/** Read the state, log it, and remember it in `progress`. */
async function readState(engine, ctx, purpose, progress) {
    const { log, config } = ctx;
    return log.group('Read applied migrations', async () => {
        if (!engine.runsOnRunConnection && config.settings.length > 0) {
            await (0,apply/* applySessionSettings */.sX)(ctx.client, config.settings, ctx.session);
            log.info(`Session settings (also given to ${engine.name}'s connections, in the URL's options): ${describeSettings(config.settings)}.`);
        }
        const state = await engine.readState(ctx, purpose);
        progress.previous = progress.revision = state.revision;
        progress.pending = state.pending;
        const names = state.pending.map((m) => m.fileName);
        log.info(`Database at revision ${describeRevision(state.revision)}; ${names.length} pending` +
            (names.length > 0 ? `: ${(0,errors/* listed */.KE)(names)}.` : '.') +
            (config.targetRevision !== undefined ? ` target-revision is ${config.targetRevision}.` : ''));
        // Every name is in the log, in lines of 50 rather than one line of megabytes.
        if (names.length > 20) {
            for (let i = 0; i < names.length; i += 50)
                log.info(`Pending (${i + 1}–${Math.min(i + 50, names.length)} of ${names.length}): ${names.slice(i, i + 50).join(', ')}`);
        }
        return state;
    });
}
/** The state without the lock, for the report of a run that could not take it; logs nothing. */
async function readQuietly(engine, ctx, config) {
    if (!engine.runsOnRunConnection && config.settings.length > 0)
        await (0,apply/* applySessionSettings */.sX)(ctx.client, config.settings, ctx.session);
    return engine.readState(ctx, 'plan');
}
/** plan, check and status: read-only (no lock, no table created). */
async function plan(engine, ctx, config, deps, progress) {
    const state = await readState(engine, ctx, 'plan', progress);
    const planned = engine.within(state, config.targetRevision);
    await engine.checkBeforeApply?.(ctx, planned);
    progress.planned = planned;
    if (config.command === 'status') {
        progress.history = state.applied;
        deps.log.info(`${state.applied.length} applied${state.applied.length > 0 ? `, the last ${describeRevision(state.revision)}` : ''}; ${planned.length} pending.`);
    }
    else {
        deps.log.info(planned.length === 0 ? 'apply would do nothing.' : `apply would run: ${(0,errors/* listed */.KE)(planned.map((m) => m.fileName))}.`);
        await reviewPending(ctx, planned, config, deps, progress, 'the plan fails');
        await shadowRun(engine, ctx, planned, config, deps, progress);
    }
    return planned.length > 0 ? 'pending' : 'up-to-date';
}
/**
 * plan and check with shadow-database-url: the target's schema copied into the empty shadow database,
 * and the pending statements run there one by one, each prediction marked confirmed or mismatch; the
 * shadow is emptied again (review/shadow.ts). A statement that fails there fails the plan.
 */
async function shadowRun(engine, ctx, planned, config, deps, progress) {
    const { shadow } = config;
    if (shadow === undefined || planned.length === 0)
        return;
    const { log, clock } = deps;
    progress.shadow = await log.group(`Run the pending statements on a copy of the schema (${(0,connect/* describeEndpoint */.N2)(shadow.endpoint)})`, async () => {
        const { checkShadow, onShadowCopy, runOnShadow } = await __nccwpck_require__.e(/* import() */ 382).then(__nccwpck_require__.bind(__nccwpck_require__, 1382));
        const { choosePgDump, dumpRows, dumpSchema, execProgram, pgDumpCandidates } = await __nccwpck_require__.e(/* import() */ 263).then(__nccwpck_require__.bind(__nccwpck_require__, 5263));
        const { fileLine, reviewMigrations } = await Promise.all(/* import() */[__nccwpck_require__.e(992), __nccwpck_require__.e(932)]).then(__nccwpck_require__.bind(__nccwpck_require__, 5932));
        const serverVersion = (await ctx.session).serverVersion;
        // With lint off there is no review yet: the shadow run needs the statements all the same.
        const reviews = progress.review ?? (await reviewMigrations(ctx.client, planned, serverVersion));
        const connected = await (0,connect/* connectWithWait */.MB)(shadow.url, shadow.endpoint, config.waitTimeoutMs, clock, log, undefined, deps.signal).catch((error) => {
            if (error instanceof errors/* Cancelled */.cJ)
                throw error;
            throw new errors/* UserError */.yo(`The shadow database (shadow-database-url): ${(0,errors/* messageOf */.bD)(error)}`, { cause: error });
        });
        // A cancel stops the statement the shadow runs; the copy is then dropped as after any failure.
        const stop = () => void (0,connect/* cancelRunningStatement */.TY)(shadow.url, connected.client);
        deps.signal?.addEventListener('abort', stop, { once: true });
        try {
            await connected.session;
            await checkShadow(ctx.client, connected.client);
            const exec = deps.exec ?? execProgram;
            const explicit = shadow.pgDumpPath ? 'pg-dump-path' : undefined;
            const pgDump = await choosePgDump(Math.floor(serverVersion / 10_000), await pgDumpCandidates(shadow.pgDumpPath), exec, explicit, 'changed', 'The shadow run');
            const dump = await dumpSchema(config.databaseUrl, pgDump, exec, deps.signal);
            const applyOurSettings = (client) => (0,apply/* applySettings */.iN)(client, config.settings);
            const onLeftover = (objects) => log.warning(`The shadow database could not be emptied: it still has ${objects.join(', ')}. The next shadow run refuses it until they are dropped.`);
            const unknown = planned.find((m) => m.sql === undefined);
            if (unknown !== undefined && engine.stateTable !== undefined) {
                // Only the engine knows what such a migration runs: it applies the pending migrations on the copy
                // itself, from a copy of its state, in a run of its own (lock, state, apply) that targets the shadow.
                const rows = await dumpRows(config.databaseUrl, pgDump, exec, engine.stateTable, deps.signal);
                return await onShadowCopy(connected.client, [dump, rows], applyOurSettings, onLeftover, async (tables) => {
                    const why = `the SQL of ${unknown.label} is known only when it runs`;
                    log.info(`${why}: ${engine.name} itself applies the pending migrations on the copy (with a copy of ${engine.stateTable}), so their statements are not watched one by one.`);
                    const inner = await runCommand({ ...config, command: 'apply', databaseUrl: shadow.url, endpoint: shadow.endpoint, shadow: undefined, backup: undefined, lint: 'off', summary: false }, { ...deps, log: prefixed(log, 'shadow: ') });
                    if (inner.status === 'failed') {
                        throw new errors/* UserError */.yo(`On a copy of the database's schema, ${engine.name} failed: ${inner.error?.message ?? 'no message'} The deploy would fail the same way; fix the migration. ` +
                            "Nothing was changed: the target was only read, and the shadow is empty again (it had the target's schema, not its rows, roles or database settings).", { location: inner.error?.location });
                    }
                    log.info(`${engine.name} applied ${inner.applied.length} migration(s) on the copy.`);
                    return { shadow: (0,connect/* describeEndpoint */.N2)(shadow.endpoint), tables, statements: [], notRun: [], engineRun: { engine: engine.name, applied: inner.applied.length, why } };
                });
            }
            const report = await runOnShadow({
                shadow: connected.client,
                shadowLabel: (0,connect/* describeEndpoint */.N2)(shadow.endpoint),
                dump,
                reviews,
                applySettings: applyOurSettings,
                onLeftover,
                onStatement: ({ migration, statement, verdict, observed }) => {
                    const line = fileLine(migration, statement.line);
                    const where = `${migration.label}${line === undefined ? '' : `:${line}`} ${statement.kind}`;
                    if (verdict.kind === 'mismatch') {
                        log.warning(`${where} on the shadow: mismatch: ${verdict.detail} (the review's prediction is wrong here; the server's word counts).`, { file: migration.label, line });
                    }
                    else {
                        log.info(`${where} on the shadow: ${verdict.kind === 'confirmed' ? `confirmed (${observed})` : `not observed: ${verdict.why}`}.`);
                    }
                },
            });
            for (const { migration, why } of report.notRun)
                log.info(`${migration.label}: ${why}.`);
            log.info(`The shadow (${report.tables} tables copied) is empty again.`);
            return report;
        }
        finally {
            deps.signal?.removeEventListener('abort', stop);
            await connected.client.end().catch(() => undefined);
        }
    });
}
/** `log` with `prefix` before every line, and groups as plain lines (a group cannot hold another). */
function prefixed(log, prefix) {
    return {
        info: (message) => log.info(`${prefix}${message}`),
        warning: (message, location) => log.warning(`${prefix}${message}`, location),
        error: (message, location) => log.warning(`${prefix}${message}`, location),
        group: async (title, fn) => {
            log.info(`${prefix}${title}`);
            return fn();
        },
    };
}
/** Words without which a migration has nothing the rules look for (see RULES in review/rules.ts). */
const MAY_HAVE_FINDINGS = /\b(alter|index|drop|update|delete|truncate|cluster|refresh|vacuum|lock|commit|rollback|begin|end|abort|prepare|start|savepoint|release|concurrently|rename)\b/i;
/**
 * The review of `pending` (input lint): what each statement will lock, with the tables' real sizes (read
 * only), and the rules' findings, as warnings or, with lint error, errors that stop the run before
 * anything changes. The parser loads only when something is pending and lint is not off.
 */
async function reviewPending(ctx, pending, config, deps, progress, nothing) {
    if (config.lint === 'off' || pending.length === 0)
        return;
    // Before apply only the findings matter, and no rule can find anything in SQL without one of these
    // words: then the parser (some 100 ms to load) is not loaded at all. plan shows every statement's locks.
    if (config.command === 'apply' && !pending.some((m) => m.sql !== undefined && MAY_HAVE_FINDINGS.test(m.sql)))
        return;
    const { log } = deps;
    let findings;
    try {
        const { describeStatement, fileLine, reviewMigrations } = await Promise.all(/* import() */[__nccwpck_require__.e(992), __nccwpck_require__.e(932)]).then(__nccwpck_require__.bind(__nccwpck_require__, 5932));
        const { lintReviews } = await Promise.all(/* import() */[__nccwpck_require__.e(992), __nccwpck_require__.e(987)]).then(__nccwpck_require__.bind(__nccwpck_require__, 6987));
        const { formatBytes } = await Promise.resolve(/* import() */).then(__nccwpck_require__.bind(__nccwpck_require__, 9293));
        const serverVersion = (await ctx.session).serverVersion;
        const reviews = await reviewMigrations(ctx.client, pending, serverVersion);
        progress.review = reviews;
        for (const review of reviews) {
            for (const statement of review.statements ?? []) {
                if (statement.locks.length === 0)
                    continue;
                const line = fileLine(review.migration, statement.line);
                log.info(`${review.migration.label}${line === undefined ? '' : `:${line}`} ${statement.kind}: ${describeStatement(statement, formatBytes)}.`);
            }
        }
        findings = await lintReviews(reviews, { client: ctx.client, serverVersion, settings: config.settings, engine: config.engine });
    }
    catch (error) {
        // With lint error the review is a gate: one that cannot be made does not let the run through.
        if (config.lint === 'error')
            throw new errors/* UserError */.yo(`The review of the pending statements could not be made (${(0,errors/* messageOf */.bD)(error)}), and input lint is error: ${nothing}.`);
        log.warning(`The review of the pending statements could not be made: ${(0,errors/* messageOf */.bD)(error)}`);
        return;
    }
    progress.findings = findings;
    for (const finding of findings) {
        const location = { file: finding.file, line: finding.line };
        if (finding.ignored)
            log.info(`Silenced by a migrate-action:ignore comment (${finding.ignored}): ${finding.message}`);
        else if (config.lint === 'error')
            log.error(finding.message, location);
        else
            log.warning(finding.message, location);
    }
    const active = findings.filter((f) => !f.ignored);
    if (config.lint === 'error' && active.length > 0) {
        throw new errors/* UserError */.yo(`${active.length} review finding(s) (${(0,errors/* listed */.KE)([...new Set(active.map((f) => f.rule))])}) in ${(0,errors/* listed */.KE)([...new Set(active.map((f) => f.file))])}, and input lint is error: ` +
            `${nothing}. Rewrite them as the findings say, silence one with -- migrate-action:ignore <rule> <reason> on the line before it, or set lint: warn.`);
    }
}
/**
 * Take the lock, run `body`, release the lock (always, unless the connection that held it is gone).
 * Behind a pooler the session is checked first: a lock on a session that others share is no lock.
 */
async function withLock(engine, db, config, deps, progress, context, body) {
    const { log, clock } = deps;
    await log.group('Take the migration lock', async () => {
        const waitStart = clock.now();
        try {
            // Taken at once when the statement runs in the server process we connected to (a direct
            // connection); behind a proxy, nothing is taken until our statements are shown to stay in one
            // server session.
            const connectedTo = db.client.processID ?? -1;
            db.lockPid = await acquireMigrationLock(db.client, config.lockKey, config.lockWaitTimeoutMs, connectedTo);
            if (db.lockPid === undefined) {
                const info = await db.info;
                log.info('Something sits between us and the server (the process id it sent is not the backend\'s): checking that our statements stay in one server session.');
                await (0,session/* probeSessionStability */.kw)(db.client, info, db.connectAgain);
                db.lockPid = await acquireMigrationLock(db.client, config.lockKey, config.lockWaitTimeoutMs);
            }
        }
        catch (error) {
            // Still report the revision that is really applied: read it without the lock, change nothing. After
            // a cancel, only on our own connection (a tool's program would be stopped at once).
            if (!deps.signal?.aborted || engine.runsOnRunConnection) {
                const state = await readQuietly(engine, context(), config).catch(() => undefined);
                if (state) {
                    progress.previous = progress.revision = state.revision;
                    progress.pending = state.pending;
                }
            }
            throw error;
        }
        log.info(`Lock taken after ${((clock.now() - waitStart) / 1000).toFixed(2)} s.`);
    });
    try {
        const { backendPid } = await db.info;
        if (db.lockPid !== backendPid) {
            throw (0,session/* poolerError */.cG)(`the lock was taken in server session pid ${db.lockPid}, but this connection started in pid ${backendPid}`);
        }
        return await body();
    }
    finally {
        if (db.watch.lost())
            log.info('The migration lock ended with the connection that held it.');
        else
            await releaseMigrationLock(db.client, config.lockKey, db.lockPid, log);
    }
}
/** Refuse a database that cannot be written before backing it up or changing anything. */
async function refuseReadOnly(db, config, what = 'applied') {
    const { rows } = await db.client.query("SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only");
    const where = (0,connect/* describeEndpoint */.N2)(config.endpoint);
    if (rows[0].recovery) {
        throw new errors/* UserError */.yo(`The database at ${where} is a standby in recovery, which cannot be written; point database-url at the primary. Nothing was ${what}.`);
    }
    if (rows[0].read_only === 'on') {
        throw new errors/* UserError */.yo(`The session at ${where} is read-only (default_transaction_read_only is on for the database, the role, or in settings); ` +
            `use a writable database or role. Nothing was ${what}.`);
    }
}
/** apply: under the lock, read the state, back up if asked, then let the engine run what is pending. */
async function run_apply(engine, db, ctx, config, deps, progress) {
    const { log } = deps;
    const state = await readState(engine, ctx, 'apply', progress);
    const toRun = engine.within(state, config.targetRevision);
    if (toRun.length === 0) {
        if (config.targetRevision !== undefined && state.revision.id !== config.targetRevision) {
            log.info(`target-revision ${config.targetRevision} is already applied (the database is at ${describeRevision(state.revision)}); apply never rolls migrations back.`);
        }
        return 'up-to-date';
    }
    await engine.checkBeforeApply?.(ctx, toRun);
    await reviewPending(ctx, toRun, config, deps, progress, 'nothing was applied');
    await refuseReadOnly(db, config);
    await backUp(db, config, deps, state, progress);
    throwIfCancelled(deps, 'before the first migration; nothing was applied.');
    await log.group(`Apply ${toRun.length} migration(s)`, async () => {
        const after = await engine.apply(ctx, state, toRun);
        progress.revision = after.revision;
    });
    return 'applied';
}
/** The backup before a change, when config.backup asks for one; then backup-retention's clean-up. */
async function backUp(db, config, deps, state, progress) {
    const { log, clock } = deps;
    if (config.backup) {
        const backup = config.backup;
        progress.backup = await log.group('Back up the database', async () => {
            const serverMajor = Math.floor((await db.info).serverVersion / 10_000);
            // Loaded only for a backup: it brings the process runner, which a run without a backup never needs.
            const { choosePgDump, dumpPrefix, execProgram, pgDumpCandidates, takeBackup } = await __nccwpck_require__.e(/* import() */ 263).then(__nccwpck_require__.bind(__nccwpck_require__, 5263));
            const exec = deps.exec ?? execProgram;
            const candidates = await pgDumpCandidates(backup.pgDumpPath);
            const undone = config.command === 'rollback' ? 'rolled back' : 'applied';
            const pgDump = await choosePgDump(serverMajor, candidates, exec, backup.pgDumpPath ? 'pg-dump-path' : undefined, undone);
            log.info(`Using ${pgDump.path} (${pgDump.version}) for a PostgreSQL ${serverMajor} server.`);
            const taken = await takeBackup({
                signal: deps.signal,
                databaseUrl: config.databaseUrl,
                database: dumpPrefix(config.endpoint),
                revision: state.revision.none ? '0' : state.revision.id,
                dir: backup.dir,
                format: backup.format,
                pgDump,
                clock,
                exec,
                undone,
            });
            log.info(`Backup ${taken.path}: ${taken.sizeBytes} bytes in ${taken.durationMs} ms. Restore with: ${taken.restoreCommand}`);
            return taken;
        }).catch(async (error) => {
            // Stopping pg_dump does not stop its server session's query: cancel that too.
            const name = error.applicationName;
            if (typeof name === 'string') {
                await db.client.query('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]).catch(() => undefined);
            }
            throw error;
        });
        db.watch.assertAlive('while the backup was taken');
        if (backup.retention)
            progress.backupsRemoved = await pruneOldBackups(backup, progress.backup.path, config, deps);
    }
}
/**
 * What rolling back to target-revision undoes, logged; refused (nothing changed) when one of them has no
 * way back.
 */
async function planRollback(engine, ctx, state, config, withSql) {
    const { log } = ctx;
    const plan = await engine.rollbackPlan(ctx, state, config.rollback, withSql);
    const names = plan.toUndo.map((m) => m.fileName);
    if (names.length === 0) {
        log.info(`Nothing to roll back: target-revision ${config.targetRevision} is at or above the applied revision, ${describeRevision(state.revision)}; nothing was changed.`);
        return plan;
    }
    log.info(`Rolling back to ${describeRevision(plan.target)} undoes ${names.length} migration(s), the latest first: ${(0,errors/* listed */.KE)(names)}.`);
    if (plan.irreversible.length > 0) {
        throw new errors/* UserError */.yo(`Cannot roll back to ${describeRevision(plan.target)}: ${plan.irreversible.length} of the ${names.length} migration(s) to undo ${plan.irreversible.length === 1 ? 'has' : 'have'} no way back: ` +
            `${(0,errors/* listed */.KE)(plan.irreversible, 10)}. Add what is missing, or roll back less far. Nothing was changed.`);
    }
    return plan;
}
/**
 * rollback: under the lock, read the state (a changed applied file stops the run there), refuse a range
 * with a migration that has no way back, back up (by default), then let the engine undo them one by one.
 */
async function rollback(engine, db, ctx, config, deps, progress) {
    const state = await readState(engine, ctx, 'apply', progress);
    const plan = await planRollback(engine, ctx, state, config, false);
    if (plan.toUndo.length === 0)
        return 'up-to-date';
    await refuseReadOnly(db, config, 'rolled back');
    await backUp(db, config, deps, state, progress);
    throwIfCancelled(deps, 'before the first migration was undone; nothing was rolled back.');
    await deps.log.group(`Roll back ${plan.toUndo.length} migration(s)`, async () => {
        const after = await engine.rollback(ctx, state, plan);
        progress.revision = after.revision;
    });
    return 'rolled-back';
}
/** rollback with dry-run: what would be undone, each down SQL and what it drops; no lock, no change. */
async function rollbackDryRun(engine, ctx, config, deps, progress) {
    const state = await readState(engine, ctx, 'plan', progress);
    const plan = await planRollback(engine, ctx, state, config, true);
    // Loaded only for a dry run: the grammar's reader is not needed by any other run.
    const { describeDrops } = await __nccwpck_require__.e(/* import() */ 631).then(__nccwpck_require__.bind(__nccwpck_require__, 631));
    progress.undo = await Promise.all(plan.toUndo.map(async (migration) => ({ migration, drops: migration.sql === undefined ? undefined : await describeDrops(migration.sql) })));
    for (const { migration, drops } of progress.undo) {
        const what = drops === undefined ? (migration.sql === undefined ? 'its SQL is known only when it runs' : 'its SQL could not be parsed') : drops.length === 0 ? 'drops nothing' : `drops ${(0,errors/* listed */.KE)(drops, 20)}`;
        deps.log.info(`Would undo ${migration.label}: ${what}.`);
    }
    if (plan.toUndo.length > 0)
        deps.log.info('Dry run: nothing was changed and no lock was taken.');
    return plan.toUndo.length > 0 ? 'pending' : 'up-to-date';
}
/** backup-retention: remove older dumps of this database; a failure here is a warning (the backup is taken). */
async function pruneOldBackups(backup, keep, config, deps) {
    const retention = backup.retention;
    try {
        const { dumpPrefix } = await __nccwpck_require__.e(/* import() */ 263).then(__nccwpck_require__.bind(__nccwpck_require__, 5263));
        const result = await (0,migrations_retention/* pruneBackups */.Aw)({ dir: backup.dir, database: dumpPrefix(config.endpoint), keep, retention, now: deps.clock.now() });
        const names = result.removed.map((file) => external_node_path_.basename(file));
        deps.log.info(names.length > 0
            ? `backup-retention ${retention.text}: removed ${names.length} older dump(s) of ${config.endpoint.database}: ${(0,errors/* listed */.KE)(names)}.`
            : `backup-retention ${retention.text}: no older dump of ${config.endpoint.database} to remove (${result.kept} kept).`);
        for (const failed of result.failed)
            deps.log.warning(`backup-retention: could not remove ${failed.path}: ${failed.reason}.`);
        return result.removed;
    }
    catch (error) {
        deps.log.warning(`backup-retention ${retention.text}: older dumps were not removed: ${(0,errors/* messageOf */.bD)(error)}`);
        return [];
    }
}
/** baseline: under the lock, record the migrations up to target-revision as applied without running them. */
async function baseline(engine, ctx, config, deps, progress) {
    const state = await readState(engine, ctx, 'apply', progress);
    const toRecord = engine.within(state, config.targetRevision);
    const after = await deps.log.group(`Record ${toRecord.length} migration(s) as applied`, () => engine.baseline(ctx, state, toRecord));
    progress.baselined = toRecord.map((m) => m.fileName);
    progress.pending = after.pending;
    progress.revision = after.revision;
    deps.log.info(progress.baselined.length === 0
        ? `Nothing to record: everything up to ${config.targetRevision} was already recorded.`
        : `Recorded ${(0,errors/* listed */.KE)(progress.baselined)} without running them.`);
    return 'baselined';
}
function describeRevision(revision) {
    if (!revision)
        return 'unknown';
    if (revision.none)
        return revision.id === '' ? 'none' : `${revision.id} (none)`;
    return revision.name === '' ? revision.id : `${revision.id} (${revision.name})`;
}
function toRunError(error, lost, command) {
    if (error instanceof errors/* UserError */.yo) {
        return {
            message: error.message,
            location: error.location,
            pg: error instanceof apply/* MigrationFailed */.g6 ? error.pg : error instanceof types/* EngineFailed */.c && error.code ? { code: error.code, message: error.message } : undefined,
            expected: true,
        };
    }
    // The lock connection ended outside a migration (reading the state, taking the backup).
    if (lost || (0,session/* isConnectionError */.Rk)(error)) {
        const holdsLock = command === 'apply' || command === 'baseline' || command === 'rollback';
        return { message: (0,session/* lostConnection */.LQ)(lost ?? error, 'during the run', holdsLock).message, expected: true };
    }
    const code = error.code;
    // The file system (Node's errors carry the system call), not the database.
    if (typeof error.syscall === 'string') {
        return { message: `File system error ${String(code)}: ${(0,errors/* messageOf */.bD)(error)}; check the path and its permissions.`, expected: true };
    }
    // A database error outside a migration (e.g. permission denied on the migrations table).
    if (typeof code === 'string') {
        const { file, advice } = (0,migrations_failure/* adviceFor */.cp)(code);
        return { message: `Database error ${code}: ${(0,errors/* messageOf */.bD)(error)}${file ? '' : `. ${advice}`}`, expected: true };
    }
    return { message: `Unexpected error: ${(0,errors/* messageOf */.bD)(error)}`, expected: false };
}

// EXTERNAL MODULE: ./lib/secrets.js
var lib_secrets = __nccwpck_require__(150);
;// CONCATENATED MODULE: ./lib/main.js










/** Raw inputs with the manifest's defaults for inputs left empty. */
function readInputs(platform) {
    const raw = {};
    for (const input of inputs/* INPUTS */.mc) {
        const value = platform.getInput(input.name);
        raw[input.name] = value.trim() === '' && 'default' in input ? input.default : value;
    }
    return raw;
}
/** Strings of the run that are public (paths and names from the repository): never scrubbed. */
function publicNames(result, config) {
    const names = new Set();
    if (config)
        names.add(config.migrationsDirLabel);
    for (const entry of [...result.applied, ...(result.planned ?? [])]) {
        names.add(entry.label);
        names.add(entry.fileName);
    }
    for (const name of [...(result.pending ?? []), ...(result.baselined ?? []), ...(result.history ?? []).map((h) => h.fileName)])
        names.add(name);
    if (result.revision?.id)
        names.add(result.revision.id);
    if (result.error?.location)
        names.add(result.error.location.file);
    if (result.revision?.name)
        names.add(result.revision.name);
    if (result.backup)
        names.add(result.backup.path);
    return [...names].filter((name) => name.length > 0);
}
/** Wrap the platform's log so that no secret form can reach it, whatever the runner masks. */
function redactingLog(platform, secrets) {
    const clean = (text) => (0,lib_secrets/* redact */.E$)(text, secrets);
    return {
        info: (message) => platform.info(clean(message)),
        warning: (message, location) => platform.warning(clean(message), location),
        error: (message, location) => platform.error(clean(message), location),
        group: (title, fn) => platform.group(clean(title), fn),
    };
}
/**
 * One run on any platform: mask the secret, parse inputs, run the command, report outputs and summary,
 * and fail the step (exit code 1) on any failure. The only place that turns errors into a failure.
 */
async function runOn(platform, clock = systemClock, signal) {
    const raw = readInputs(platform);
    const shadowUrl = raw['shadow-database-url'].trim();
    // The comment's tokens (the CLI's GITHUB_TOKEN and GITLAB_TOKEN) are secrets, used or not.
    const tokens = [raw['github-token'].trim(), raw['gitlab-token'].trim()].filter((t) => t !== '' && !lib_secrets/* UNSET_VARIABLE */.$w.test(t));
    const secrets = [
        ...new Set([...(0,lib_secrets/* connectionSecrets */.K$)(raw['database-url'], platform.env), ...(shadowUrl === '' ? [] : (0,lib_secrets/* connectionSecrets */.K$)(shadowUrl, platform.env)), ...tokens]),
    ].sort((a, b) => b.length - a.length);
    for (const secret of secrets)
        platform.mask(secret);
    const log = redactingLog(platform, secrets);
    let config;
    let result;
    try {
        config = parseConfig(raw, {
            workspace: platform.workspace,
            tempDir: platform.tempDir,
            emptyDatabaseUrlHint: platform.emptyDatabaseUrlHint,
        });
        // What engines and .js migrations inherit: not a variable that holds the comment's token (GITLAB_TOKEN in the CLI).
        const env = config.comment ? Object.fromEntries(Object.entries(platform.env).filter(([, value]) => !tokens.includes(value?.trim() ?? ''))) : platform.env;
        result = await runCommand(config, {
            clock,
            log,
            signal,
            env,
            load: {
                signal,
                jsEnv: jsMigrationEnv(env, secrets),
                cwd: platform.workspace,
                jsOutput: (line) => log.info(`generateSql output: ${line}`),
            },
        });
    }
    catch (error) {
        // Only input validation throws here; runCommand reports its own failures in the result.
        const location = error instanceof errors/* UserError */.yo ? error.location : undefined;
        result = {
            // The command asked for, even when another input is what was wrong.
            command: config?.command ?? commandAsked(platform.getInput('command')),
            status: 'failed',
            applied: [],
            durationMs: 0,
            error: { message: (0,errors/* messageOf */.bD)(error), location, expected: true },
        };
    }
    // Outputs are the true values: file names and revisions are not secret, even when a short password
    // happens to be part of one (the runner masks registered secrets in its own log). Only text that
    // may carry a server's or a file's words (the error, the summary) is scrubbed, around the names.
    const names = publicNames(result, config);
    const scrub = (text) => (0,lib_secrets/* redactExcept */.v5)(text, secrets, names);
    const outputs = (0,report/* toOutputs */.Iu)(result);
    for (const output of inputs/* OUTPUTS */.py)
        platform.setOutput(output.name, output.name === 'error' ? scrub(outputs[output.name]) : outputs[output.name]);
    if (config?.summary ?? true) {
        try {
            await platform.writeSummary(scrub((0,report/* renderSummary */.Br)(result)));
        }
        catch (error) {
            log.warning(`Could not write the job summary: ${(0,errors/* messageOf */.bD)(error)}`);
        }
    }
    if (config?.comment) {
        if (config.command === 'plan' || config.command === 'check')
            await commentPlan(platform, config, result, scrub, log, signal);
        else
            log.info(`comment: only plan and check post the plan on the pull or merge request; ${config.command} posts none.`);
    }
    const changed = result.command === 'rollback' ? `${outputs['rolled-back-count']} rolled back` : `${outputs['applied-count']} applied`;
    log.info(result.revision === undefined
        ? `${result.command}: ${result.status} before the database was read; nothing ${result.command === 'rollback' ? 'rolled back' : 'applied'}.`
        : `${result.command}: ${result.status}; revision ${shown(outputs['previous-revision'])} -> ${shown(outputs.revision)}, ` +
            `${changed}, ${outputs['pending-count']} pending` +
            (outputs['backup-path'] ? `; backup ${outputs['backup-path']}` : '') +
            '.');
    if (result.error) {
        if (!result.error.expected)
            log.info('This is a bug in migrate-action, not in your input; please report it with this log.');
        platform.fail(scrub(result.error.message), result.error.location);
    }
    return result;
}
/**
 * Post the plan on the pull or merge request this run is for (src/comment/, loaded only when asked for):
 * one comment per migrations and database, found again by its marker; never the run's failure.
 */
async function commentPlan(platform, config, result, scrub, log, signal) {
    const { commentMarker, postComment, MAX_COMMENT_BYTES } = await __nccwpck_require__.e(/* import() */ 558).then(__nccwpck_require__.bind(__nccwpck_require__, 6558));
    const alembic = config.engine === 'alembic';
    const migrations = alembic ? config.tools.alembicConfigLabel : config.migrationsDirLabel;
    const identity = external_node_path_.relative(config.workspace, alembic ? config.tools.alembicConfig : config.migrationsDir) || '.';
    await postComment({
        forge: platform.forge?.name,
        token: platform.forge?.name === 'gitlab' ? config.comment.gitlabToken : config.comment.githubToken,
        tokenInput: platform.forge?.tokenInput ?? 'the token',
        env: platform.env,
        // Not the port: a service container's is chosen anew for every job (the host and database name stay).
        marker: commentMarker(identity, `${config.endpoint.host}/${config.endpoint.database}`),
        // Nothing pending and no comment yet: a pull request without migrations gets none.
        create: result.status !== 'up-to-date',
        render: (where) => scrub((0,report/* renderComment */.wQ)(result, { migrations, ...where, maxBytes: MAX_COMMENT_BYTES })),
        log,
        signal,
    });
}
/** The command input when it is one of ours (the default otherwise), for the report of invalid inputs. Pure. */
function commandAsked(value) {
    const trimmed = value.trim();
    return inputs/* COMMANDS */.Lo.includes(trimmed) ? trimmed : 'apply';
}
/** A revision output for the log: `(none)` rather than nothing. */
function shown(revision) {
    return revision === '' ? '(none)' : revision;
}
/** The GitHub Action's entry (also what `local-action run . src/main.ts` calls). */
async function run(signal) {
    await runOn(githubPlatform(), systemClock, signal);
}


/***/ }),

/***/ 4017:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   g6: () => (/* binding */ MigrationFailed),
/* harmony export */   iN: () => (/* binding */ applySettings),
/* harmony export */   lF: () => (/* binding */ executableSql),
/* harmony export */   rj: () => (/* binding */ applyMigration),
/* harmony export */   sX: () => (/* binding */ applySessionSettings)
/* harmony export */ });
/* unused harmony exports retryDelayMs, recordSql */
/* harmony import */ var pg__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3849);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(452);
/* harmony import */ var _db_session_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(3794);
/* harmony import */ var _failure_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(4563);




/** A migration that failed: the file, where in it, and what PostgreSQL said. */
class MigrationFailed extends _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo {
    migration;
    pg;
    /** The migration was committed before what failed (setting the session back afterwards). */
    applied;
    constructor(message, migration, fields, location, cause, applied = false) {
        super(message, { location, cause });
        this.name = 'MigrationFailed';
        this.migration = migration;
        this.pg = fields;
        this.applied = applied;
    }
}
/**
 * The settings input on the run's session, then ours again: an idle timeout among the input's would end
 * the session that holds the lock.
 */
async function applySessionSettings(client, settings, session) {
    await applySettings(client, settings);
    await client.query((0,_db_session_js__WEBPACK_IMPORTED_MODULE_2__/* .ourSettingsSql */ .uA)((await session).serverVersion));
}
/** Set each `settings` line on the session; a value PostgreSQL rejects names the setting, never the value. */
async function applySettings(client, settings) {
    for (const [index, { name, value }] of settings.entries()) {
        try {
            await client.query('SELECT set_config($1, $2, false)', [name, value]);
        }
        catch (error) {
            // PostgreSQL's message quotes the value, which may be a secret: it is left out.
            const why = (0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .messageOf */ .bD)(error).split(value).join('…');
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`Input settings: PostgreSQL rejected setting ${index + 1}, ${name}: ${why}; fix the name or value (see SHOW ALL for names).`, {
                cause: error,
            });
        }
    }
}
/** Sleep, but wake at once when the run is cancelled. */
function sleepUnlessCancelled(clock, ms, signal) {
    if (!signal)
        return clock.sleep(ms);
    return new Promise((resolve) => {
        const wake = () => resolve();
        signal.addEventListener('abort', wake, { once: true });
        void clock.sleep(ms).then(() => {
            signal.removeEventListener('abort', wake);
            resolve();
        });
    });
}
/** Backoff before retry `attempt` (1-based) of a migration that hit lock_timeout: 1 s, 2 s, 4 s, … at most 30 s. */
function retryDelayMs(attempt) {
    return Math.min(1_000 * 2 ** (attempt - 1), 30_000);
}
/**
 * Run one migration and record it. In a transaction (the default) the SQL and its `migrations` row
 * commit together or not at all. A file with the disable-transaction marker runs as one statement batch
 * without BEGIN, and its row is written right after. Either way the session is then set back to a new
 * one's state (see session.ts). `lock_not_available` (55P03) is retried up to `lockRetries` times with
 * backoff; any other error throws MigrationFailed, worded by failure.ts.
 */
async function applyMigration(client, migration, options) {
    for (let attempt = 1;; attempt += 1) {
        try {
            await runOnce(client, migration, options.session);
            return;
        }
        catch (error) {
            const phase = error instanceof _failure_js__WEBPACK_IMPORTED_MODULE_3__/* .StepFailed */ .an ? error.phase : 'sql';
            const cause = error instanceof _failure_js__WEBPACK_IMPORTED_MODULE_3__/* .StepFailed */ .an ? error.cause : error;
            if (cause.code === '55P03' && phase === 'sql' && attempt <= options.lockRetries) {
                const delay = retryDelayMs(attempt);
                options.log.warning(`${migration.label} hit lock_timeout (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .messageOf */ .bD)(cause)}); retry ${attempt} of ${options.lockRetries} in ${delay / 1000} s.`);
                // A file without a transaction may have changed the session before it failed.
                await client.query(options.session.restoreSql);
                await sleepUnlessCancelled(options.clock, delay, options.signal);
                if (options.signal?.aborted) {
                    throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .Cancelled */ .cJ(`The run was cancelled (${String(options.signal.reason)}) while ${migration.label} waited to be retried after lock_timeout: it was rolled back. ` +
                        'Migrations before it stay applied and none after it ran; run again to apply the rest.');
                }
                continue;
            }
            if (options.signal?.aborted && migration.id > 0) {
                const outcome = phase === 'restore'
                    ? 'it had been applied just before'
                    : phase === 'commit'
                        ? 'it was being committed, so it may or may not be applied (the next run reads the migrations table and knows)'
                        : migration.transaction
                            ? 'it was rolled back'
                            : 'it runs without a transaction, so statements of it may have taken effect (check the database)';
                throw new MigrationFailed(`The run was cancelled (${String(options.signal.reason)}) while ${migration.label} was being applied: ${outcome}. ` +
                    'Migrations before it stay applied and none after it ran; run again to apply the rest.', migration, (0,_failure_js__WEBPACK_IMPORTED_MODULE_3__/* .pgFields */ .LF)(cause), undefined, cause, phase === 'restore');
            }
            const explained = (0,_failure_js__WEBPACK_IMPORTED_MODULE_3__/* .explainFailure */ .SP)({
                label: migration.label,
                kind: migration.kind,
                builtIn: migration.id === 0,
                transaction: migration.transaction,
                sql: executableSql(migration),
                attempts: attempt,
            }, phase, cause);
            throw new MigrationFailed(explained.message, migration, explained.fields, migration.id === 0 ? undefined : explained.location, cause, phase === 'restore');
        }
    }
}
/**
 * The SQL sent to the server: the file without a leading byte-order mark, which PostgreSQL would read as
 * part of the first keyword. The hash stays over the file as written, as postgres-migrations computes it.
 */
function executableSql(migration) {
    return migration.sql.replace(/^\uFEFF/, '');
}
/**
 * The row, written only when the statement runs where it must. `name` is NULL (a not-null violation on
 * "name") when the transaction is not the one it should be: for a migration in a transaction, one that
 * began before this message (ours, begun with BEGIN); for one without, none left open by the file (its
 * transaction then begins with this message). A file that ended its transaction, or left one open,
 * trips it, whatever it did to the settings (RESET ALL), and no statement runs before the file's own
 * (a file may begin with SET TRANSACTION ISOLATION LEVEL). `hash` is NULL (a violation on "hash") when
 * the statement runs in another server session than the one that holds the lock: a pooler moved us.
 * Either way the transaction is aborted, so nothing after it commits. The table is named with its
 * schema and written as the login role (SET SESSION AUTHORIZATION DEFAULT; then the `role` setting, if
 * the settings input has one), so a file that changes search_path or the role is still recorded.
 * Values are literals, so that the statement can share one message with COMMIT and the session reset
 * (one query for the driver to send and read, not four). Pure.
 */
function recordSql(table, migration, session) {
    const inOurTransaction = migration.transaction ? 'transaction_timestamp() < statement_timestamp()' : 'transaction_timestamp() = statement_timestamp()';
    return ('SET SESSION AUTHORIZATION DEFAULT; ' +
        (session.role === undefined ? '' : `SET ROLE ${pg__WEBPACK_IMPORTED_MODULE_0__/* ["default"].escapeIdentifier */ .Ay.escapeIdentifier(session.role)}; `) +
        `INSERT INTO ${table} ("id", "name", "hash") VALUES (${Math.trunc(migration.id)}, ` +
        `CASE WHEN ${inOurTransaction} THEN ${pg__WEBPACK_IMPORTED_MODULE_0__/* ["default"].escapeLiteral */ .Ay.escapeLiteral(migration.name)} END, ` +
        `CASE WHEN pg_backend_pid() = ${Math.trunc(session.lockPid)} THEN ${pg__WEBPACK_IMPORTED_MODULE_0__/* ["default"].escapeLiteral */ .Ay.escapeLiteral(migration.hash)} END)`);
}
/**
 * Two round trips per migration in a transaction (pipeline mode): BEGIN and the SQL, then one message
 * with the row, COMMIT and the session reset. The row is sent only once the SQL has succeeded. Without
 * a transaction, the SQL, then the row, then the session reset (not in the row's message, whose
 * statements would share one implicit transaction).
 */
async function runOnce(client, migration, session) {
    const sql = executableSql(migration);
    if (!migration.transaction) {
        await (0,_failure_js__WEBPACK_IMPORTED_MODULE_3__/* .step */ .PM)('sql', client.query(sql));
        try {
            await settled([(0,_failure_js__WEBPACK_IMPORTED_MODULE_3__/* .step */ .PM)('record', client.query(recordSql(session.table, migration, session))), (0,_failure_js__WEBPACK_IMPORTED_MODULE_3__/* .step */ .PM)('restore', client.query(session.restoreSql))]);
        }
        catch (error) {
            // A transaction the file left open is rolled back with the row.
            await client.query('ROLLBACK').catch(() => undefined);
            throw error;
        }
        return;
    }
    try {
        await settled([(0,_failure_js__WEBPACK_IMPORTED_MODULE_3__/* .step */ .PM)('sql', client.query('BEGIN')), (0,_failure_js__WEBPACK_IMPORTED_MODULE_3__/* .step */ .PM)('sql', client.query(sql))]);
    }
    catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
    }
    try {
        await client.query(`${recordSql(session.table, migration, session)}; COMMIT; ${session.restoreSql}`);
    }
    catch (error) {
        // Ended, unless the failure came after COMMIT; ROLLBACK of no transaction would only warn, so ask.
        if (!(0,_db_session_js__WEBPACK_IMPORTED_MODULE_2__/* .isConnectionError */ .Rk)(error))
            await client.query('ROLLBACK').catch(() => undefined);
        throw new _failure_js__WEBPACK_IMPORTED_MODULE_3__/* .StepFailed */ .an(await phaseOfLastMessage(client, session.table, migration, error), error);
    }
}
/**
 * Which statement of the row/COMMIT/reset message failed (the server stops at the first error): the
 * reset, when the row is there (committed); else COMMIT, unless the error is about the migrations
 * table (our INSERT). A lost connection cannot be asked: COMMIT, which says "may or may not be applied".
 */
async function phaseOfLastMessage(client, table, migration, error) {
    if ((0,_db_session_js__WEBPACK_IMPORTED_MODULE_2__/* .isConnectionError */ .Rk)(error))
        return 'commit';
    const { rows } = await client.query(`SELECT 1 FROM ${table} WHERE id = ${Math.trunc(migration.id)}`).catch(() => ({ rows: [] }));
    if (rows.length > 0)
        return 'restore';
    const about = error;
    return about.table === 'migrations' || /\bmigrations\b/.test(about.message ?? '') || about.code === '23502' ? 'record' : 'commit';
}
/** Wait for every query issued together; throw the first failure in the order they were sent. */
async function settled(queries) {
    const results = await Promise.allSettled(queries);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed)
        throw failed.reason;
    return results.map((result) => result.value);
}


/***/ }),

/***/ 4563:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   LF: () => (/* binding */ pgFields),
/* harmony export */   PM: () => (/* binding */ step),
/* harmony export */   SP: () => (/* binding */ explainFailure),
/* harmony export */   an: () => (/* binding */ StepFailed),
/* harmony export */   cp: () => (/* binding */ adviceFor),
/* harmony export */   q1: () => (/* binding */ lineAndColumn)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(452);
/* harmony import */ var _db_session_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3794);


/** A rejected statement, tagged with the phase it belonged to. */
class StepFailed extends Error {
    phase;
    constructor(phase, cause) {
        super((0,_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .messageOf */ .bD)(cause), { cause });
        this.name = 'StepFailed';
        this.phase = phase;
    }
}
/** Tag a statement's failure with its phase (for settled() to report the first in order). */
function step(phase, query) {
    return query.catch((error) => {
        throw error instanceof StepFailed ? error : new StepFailed(phase, error);
    });
}
function pgFields(error) {
    const e = error;
    const position = e.position === undefined ? undefined : Number.parseInt(e.position, 10);
    return {
        code: typeof e.code === 'string' ? e.code : undefined,
        message: (0,_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .messageOf */ .bD)(error),
        detail: e.detail || undefined,
        hint: e.hint || undefined,
        position: Number.isFinite(position) ? position : undefined,
        where: e.where || undefined,
        column: e.column || undefined,
    };
}
/** 1-based line and column of a 1-based character position (PostgreSQL counts characters, not bytes). Pure. */
function lineAndColumn(text, position) {
    let line = 1;
    let column = 1;
    let index = 0;
    for (const char of text) {
        index += 1;
        if (index >= position)
            break;
        if (char === '\n') {
            line += 1;
            column = 1;
        }
        else {
            column += 1;
        }
    }
    return { line, column };
}
/** What a SQLSTATE says about the cause, and the fix; `file` when the file itself must change. Pure. */
function adviceFor(code) {
    const c = code ?? '';
    if (c === '42501') {
        return {
            file: false,
            advice: 'The database user lacks a privilege this statement needs: grant it, or run migrations as a role that has it (the file may be right as it is).',
        };
    }
    if (c === '25006') {
        return { file: false, advice: 'The database is read-only (a standby, or default_transaction_read_only is on): point database-url at the primary.' };
    }
    if (c === '57014') {
        return {
            file: false,
            advice: 'The statement was cancelled (statement_timeout in settings, or an administrator): raise statement_timeout, or split the work into smaller migrations.',
        };
    }
    if (c === '55P03') {
        return {
            file: false,
            advice: 'Another session held a lock this statement needs for longer than lock_timeout: run again when it is free, or set lock-retries.',
        };
    }
    if (c === '40P01' || c === '40001') {
        return { file: false, advice: 'It conflicted with another session (a deadlock or a serialization failure): run again.' };
    }
    if (c.startsWith('53')) {
        return { file: false, advice: 'The server ran out of resources (disk, memory or connections): fix the server, then run again.' };
    }
    if (c.startsWith('58') || c.startsWith('XX')) {
        return { file: false, advice: 'The server reported a system or internal error: check its log, then run again.' };
    }
    return { file: true, advice: 'Fix the file and run again.' };
}
/**
 * One line that says what failed, where, what became of the migration, and the fix; blamed on the file
 * only when the file's own statement failed for a reason the file can fix. Pure.
 */
function explainFailure(ctx, phase, error) {
    const fields = pgFields(error);
    const lost = (0,_db_session_js__WEBPACK_IMPORTED_MODULE_1__/* .isConnectionError */ .Rk)(error);
    const what = `${fields.code ? `${fields.code} ` : ''}${fields.message}`;
    const extra = [fields.detail ? `Detail: ${fields.detail}` : '', fields.hint ? `Hint: ${fields.hint}` : '', ctx.attempts > 1 ? `(after ${ctx.attempts} attempts)` : ''];
    if (ctx.builtIn) {
        const advice = fields.code === '42501'
            ? 'The database user cannot create a table in the first schema of its search_path: grant it CREATE on that schema, or set search_path (settings input, or the role) to a schema it can create in.'
            : lost
                ? 'The connection ended: run again when the database is back.'
                : adviceFor(fields.code).advice.replace('Fix the file and run again.', 'Check the database user and search_path, then run again.');
        return { message: sentence(['Could not create the migrations table: ' + what, ...extra, 'Nothing was applied.', advice]), fields };
    }
    if (lost) {
        const outcome = phase === 'commit'
            ? `The connection ended while ${ctx.label} was being committed, so it may or may not be applied; the next run reads the migrations table and knows.`
            : phase === 'restore'
                ? `${ctx.label} was applied before the connection ended.`
                : ctx.transaction
                    ? `${ctx.label} was not committed, so the server rolled it back.`
                    : `${ctx.label} runs without a transaction, so statements of it may have taken effect; check the database.`;
        return {
            message: sentence([
                `Lost the database connection that holds the migration lock while applying ${ctx.label}: ${what}`,
                outcome,
                'The lock went with the connection, so nothing more is applied. Run again when the database is back.',
            ]),
            fields,
        };
    }
    if (phase === 'record')
        return explainRecordFailure(ctx, fields, what, extra);
    if (phase === 'restore') {
        return {
            message: sentence([
                `${ctx.label} was applied, but setting the session back afterwards failed: ${what}`,
                'Nothing after it ran. Run again to apply the rest.',
            ]),
            location: { file: ctx.label },
            fields,
        };
    }
    const { file, advice } = adviceFor(fields.code);
    const at = phase === 'sql' && fields.position !== undefined ? lineAndColumn(ctx.sql, fields.position) : undefined;
    const where = at === undefined ? (phase === 'commit' ? ' at COMMIT' : '') : ctx.kind === 'js' ? ` at line ${at.line} of the SQL from generateSql()` : ` at line ${at.line}, column ${at.column}`;
    const outcome = ctx.transaction
        ? 'It was rolled back; migrations before it stay applied and none after it ran.'
        : file
            ? 'It ran without a transaction, so statements before the failing one may have taken effect; check the database, then fix the file and run again.'
            : 'It ran without a transaction, so statements before the failing one may have taken effect; check the database.';
    return {
        message: sentence([`Migration ${ctx.label} failed${where}: ${what}`, ...extra, outcome, file && !ctx.transaction ? '' : advice]),
        location: { file: ctx.label, line: at?.line, column: at?.column },
        fields,
    };
}
/** Our INSERT into the migrations table failed, after the file's SQL succeeded. */
function explainRecordFailure(ctx, fields, what, extra) {
    const location = { file: ctx.label };
    let outcome = ctx.transaction
        ? 'It was rolled back with it; migrations before it stay applied and none after it ran.'
        : 'It ran without a transaction, so it took effect but is not recorded: a rerun runs it again, so make it safe to rerun (IF NOT EXISTS) or check the database first.';
    let cause;
    if (fields.code === '23502' && fields.column === 'name') {
        // Our own guard (apply.ts): the transaction is not the one it should be.
        return {
            message: ctx.transaction
                ? sentence([
                    `Migration ${ctx.label} ended the transaction it runs in (a COMMIT, ROLLBACK, END, ABORT or PREPARE TRANSACTION, perhaps in a procedure it calls).`,
                    'What it did before that statement was committed or undone by it, and what came after ran outside the migration: check the database.',
                    'It was not recorded as applied, and nothing after it ran.',
                    'Remove that statement, or mark the file with -- postgres-migrations disable-transaction.',
                ])
                : sentence([
                    `Migration ${ctx.label} runs without a transaction (disable-transaction) but left one open (a BEGIN without its COMMIT).`,
                    'That transaction was rolled back with everything in it, and the migration was not recorded as applied; nothing after it ran.',
                    'End the transaction in the file (COMMIT), or remove the BEGIN.',
                ]),
            location,
            fields,
        };
    }
    else if (fields.code === '23502' && fields.column === 'hash') {
        outcome = ctx.transaction ? 'It was rolled back, and not recorded as applied.' : 'It ran without a transaction, so it took effect but is not recorded.';
        return {
            message: sentence([
                `Migration ${ctx.label} did not run in the server session that holds the migration lock: a connection pooler in transaction mode moved it`,
                outcome,
                'Use the direct URL of the database for migrations (a pooler in session mode also works).',
            ]),
            location,
            fields,
        };
    }
    else if (fields.code === '42501') {
        cause = 'The database user may not write the migrations table: grant it INSERT on that table (or run migrations as its owner).';
    }
    else if (fields.code === '42P01') {
        cause = 'The migrations table is gone at the end of the file: a migration must not drop or rename it.';
    }
    else if (fields.code === '23505' && /name/.test(String(fields.constraint ?? fields.message))) {
        cause = 'Another migration already has this name in the migrations table (names must be unique): rename the file.';
    }
    else if (fields.code === '23505') {
        cause = 'Another run recorded this migration at the same time, so the migration lock did not keep them apart: use the direct URL of the database, not a pooler.';
    }
    else {
        cause = adviceFor(fields.code).advice.replace('Fix the file and run again.', 'Check the migrations table and the database user, then run again.');
    }
    return {
        message: sentence([`Migration ${ctx.label} ran, but recording it in the migrations table failed: ${what}`, ...extra, outcome, cause]),
        location,
        fields,
    };
}
/** Parts joined into one line, each ending in a full stop. */
function sentence(parts) {
    return parts
        .filter(Boolean)
        .map((part) => (/[.!?)]$/.test(part) ? part : `${part}.`))
        .join(' ')
        .replace(/\s*\n\s*/g, ' ');
}


/***/ }),

/***/ 8155:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Aw: () => (/* binding */ pruneBackups),
/* harmony export */   Ay: () => (/* binding */ parseRetention),
/* harmony export */   jC: () => (/* binding */ safeName)
/* harmony export */ });
/* unused harmony export dumpPattern */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3024);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(6760);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(452);
/**
 * backup-retention: after a backup, remove this database's older dumps from backup-dir. Only files that
 * takeBackup named for this database are ever touched (see dumpPattern); everything else in the
 * directory, the dump just taken included, is left as it is.
 */



const HOUR_MS = 3_600_000;
const UNIT_MS = { h: HOUR_MS, d: 24 * HOUR_MS, w: 7 * 24 * HOUR_MS };
/** Far beyond any real need (100000 weeks is 1900 years); a bigger number is a typo. */
const MAX = 100_000;
/**
 * The backup-retention input: undefined when empty (keep every dump), the retention, or the tail of the
 * problem message (the caller prefixes `Input backup-retention "<value>" `). The same syntax as the
 * input's regex in inputs.ts: a whole number without leading zeros, with h, d or w for an age. Pure.
 */
function parseRetention(value) {
    const text = value.trim();
    if (text === '')
        return undefined;
    const match = /^(\d+)([hdw]?)$/.exec(text);
    if (!match || /^0\d/.test(text)) {
        return 'is not a retention; use a number of days such as 7d (also 12h, 2w), or a count such as 10 for the last ten dumps';
    }
    const number = Number(match[1]);
    const unit = match[2];
    if (number === 0) {
        return `would keep no dump; use at least ${unit === '' ? '1 (a count)' : `1${unit}`}, or leave it empty to keep every dump`;
    }
    if (number > MAX)
        return `is more than ${MAX}; use a smaller number, or leave it empty to keep every dump`;
    return unit === '' ? { kind: 'count', count: number, text } : { kind: 'age', ms: number * UNIT_MS[unit], text };
}
/** What of a name may stand in a dump's file name (the rest becomes `_`): backupFileName's rule, and the pattern's. Pure. */
function safeName(text) {
    return text.replace(/[^A-Za-z0-9_.-]/g, '_');
}
/**
 * The names takeBackup gives the dumps of `database`: `<db>-r<revision>-<UTC stamp>[-N].dump|.sql`.
 * The revision never contains `-` (backupFileName turns it into `_`), so the name of another database
 * never matches: for `app`'s pattern to take a dump of `app-r1`, `app-r1-r5-…`, the revision would have
 * to be `1-r5`. Groups: revision, stamp, N, extension. Pure.
 */
function dumpPattern(database) {
    const escaped = safeName(database).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^${escaped}-r([A-Za-z0-9_.+]+)-(\\d{8}T\\d{6}Z)(?:-(\\d{1,3}))?\\.(dump|sql)$`);
}
/**
 * Remove this database's older dumps from `dir` (not its subdirectories): with an age, those whose name
 * says they were taken before now − age; with a count, all but the newest. Only regular files named as
 * takeBackup names this database's dumps are candidates: symbolic links, directories, other files and
 * the dump just taken are never touched. A dump that cannot be removed is reported in `failed` rather
 * than thrown, since the backup and the run are fine without its removal; a directory that cannot be
 * read throws.
 */
async function pruneBackups(request) {
    const { dir, retention, now } = request;
    const pattern = dumpPattern(request.database);
    const keepPath = node_path__WEBPACK_IMPORTED_MODULE_1__.resolve(request.keep);
    // Also by inode: the same file spelled differently (a symlinked directory, a hard link) is still it.
    const keepStat = await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.lstat(keepPath).catch(() => undefined);
    let names;
    try {
        names = await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.readdir(dir);
    }
    catch (error) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .UserError */ .yo(`backup-dir "${dir}" cannot be read to remove older dumps (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .messageOf */ .bD)(error)}); make it readable, or leave backup-retention empty to keep every dump.`, { cause: error });
    }
    const dumps = [];
    for (const name of names) {
        const match = pattern.exec(name);
        if (!match)
            continue;
        const file = node_path__WEBPACK_IMPORTED_MODULE_1__.resolve(dir, name);
        const stat = await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.lstat(file).catch(() => undefined);
        // lstat, not stat: a link named like a dump is not ours, even when it points at one.
        if (!stat?.isFile())
            continue;
        const at = stampTime(match[2]);
        // A stamp that is no real time was not written by us.
        if (at === undefined)
            continue;
        const keep = file === keepPath || (keepStat !== undefined && stat.dev === keepStat.dev && stat.ino === keepStat.ino);
        dumps.push({ path: file, name, at, n: match[3] === undefined ? 1 : Number(match[3]), mtimeMs: stat.mtimeMs, keep });
    }
    // The name's time first (to the second, as written), then the -N of the same second; the two dumps
    // of different revisions in one second go by modification time, then name, for a stable order.
    dumps.sort((a, b) => a.at - b.at || a.n - b.n || a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const others = dumps.filter((dump) => !dump.keep);
    const doomed = retention.kind === 'age'
        ? others.filter((dump) => dump.at < now - retention.ms)
        : // The dump just taken is the newest, whatever its name says: it is one of the `count` kept.
            others.slice(0, Math.max(0, others.length - (retention.count - 1)));
    const removed = [];
    const failed = [];
    for (const dump of doomed) {
        try {
            await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.unlink(dump.path);
            removed.push(dump.path);
        }
        catch (error) {
            // Gone meanwhile (another run's clean-up): neither removed by us nor left behind.
            if (error.code === 'ENOENT')
                continue;
            failed.push({ path: dump.path, reason: (0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .messageOf */ .bD)(error) });
        }
    }
    return { removed, kept: dumps.length - doomed.length, failed };
}
/** `20260123T040506Z` -> epoch ms, or undefined when it is no real UTC time (a 13th month). Pure. */
function stampTime(stamp) {
    const iso = stamp.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6.000Z');
    const at = Date.parse(iso);
    // Date.parse accepts some days that do not exist (February 30th) and moves them on: compare back.
    return Number.isNaN(at) || new Date(at).toISOString() !== iso ? undefined : at;
}


/***/ }),

/***/ 6921:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   cQ: () => (/* binding */ leadingTrivia),
/* harmony export */   qd: () => (/* binding */ loadParser),
/* harmony export */   xB: () => (/* binding */ findTransactionEnd)
/* harmony export */ });
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(6760);
/* harmony import */ var node_url__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3136);
/**
 * Statements that end the transaction a migration runs in. A transactional migration is sent as
 * `BEGIN`, its SQL, then its `migrations` row and `COMMIT`: a `COMMIT` (or `END`), `ROLLBACK` (or
 * `ABORT`) or `PREPARE TRANSACTION` inside the file ends that transaction early, so part of the file
 * would be committed or undone on its own and the row would not belong to the same transaction.
 *
 * The file is parsed with PostgreSQL's own grammar (libpg-query) rather than searched with patterns, so
 * that `END` closing a `BEGIN ATOMIC` function body or a `COMMIT` inside a `DO` block's string is not
 * mistaken for one. Parsing loads a WebAssembly parser, so only a file that contains one of the keywords
 * at all is parsed.
 */


const KEYWORDS = /\b(commit|end|rollback|abort|prepare)\b/i;
const ENDING_KINDS = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);
/**
 * The first statement of `sql` that ends the surrounding transaction, or undefined. A file that does not
 * parse is left to the server, which runs nothing of a file with a syntax error.
 */
async function findTransactionEnd(sql) {
    if (!KEYWORDS.test(sql))
        return undefined;
    const { parse } = await loadParser();
    let statements;
    try {
        statements = (await parse(sql)).stmts ?? [];
    }
    catch {
        return undefined;
    }
    const bytes = Buffer.from(sql, 'utf8');
    for (const statement of statements) {
        const kind = statement.stmt.TransactionStmt?.kind;
        if (kind === undefined || !ENDING_KINDS.has(kind))
            continue;
        // Positions are byte offsets into the UTF-8 text; 0 length means "to the end".
        const start = statement.stmt_location ?? 0;
        const end = statement.stmt_len ? start + statement.stmt_len : bytes.length;
        // A statement's span starts right after the previous `;`: skip the blanks and comments before it.
        const raw = bytes.subarray(start, end).toString('utf8');
        const lead = leadingTrivia(raw);
        const text = raw.slice(lead).trim();
        return { statement: text.replace(/\s+/g, ' ').slice(0, 80), line: lines(bytes.subarray(0, start).toString('utf8') + raw.slice(0, lead)) };
    }
    return undefined;
}
/** Length of the whitespace and comments (line comments and nested block comments) at the start. */
function leadingTrivia(text) {
    let i = 0;
    for (;;) {
        while (i < text.length && /\s/.test(text[i]))
            i += 1;
        if (text.startsWith('--', i)) {
            const newline = text.indexOf('\n', i);
            i = newline < 0 ? text.length : newline + 1;
        }
        else if (text.startsWith('/*', i)) {
            let depth = 0;
            do {
                if (text.startsWith('/*', i)) {
                    depth += 1;
                    i += 2;
                }
                else if (text.startsWith('*/', i)) {
                    depth -= 1;
                    i += 2;
                }
                else {
                    i += 1;
                }
            } while (depth > 0 && i < text.length);
        }
        else {
            return i;
        }
    }
}
let parser;
/**
 * libpg-query's WebAssembly glue finds `libpg-query.wasm` next to itself through `__dirname`, which
 * CommonJS defines and our bundle (an ES module) does not; the build copies the file into dist/. So,
 * only while the glue starts (it reads `__dirname` once, synchronously, when imported), a global
 * `__dirname` points at this module's directory. Where Node loads the package itself (the sources,
 * tests), its own `__dirname` shadows the global and this changes nothing.
 */
function loadParser() {
    parser ??= (async () => {
        const scope = globalThis;
        const had = Object.prototype.hasOwnProperty.call(scope, '__dirname');
        // Not new URL('.', import.meta.url): the bundler would take that for an asset of its own.
        if (!had)
            scope.__dirname = node_path__WEBPACK_IMPORTED_MODULE_0__.dirname((0,node_url__WEBPACK_IMPORTED_MODULE_1__.fileURLToPath)(import.meta.url));
        try {
            const module = __nccwpck_require__.e(/* import() */ 627).then(__nccwpck_require__.t.bind(__nccwpck_require__, 2627, 19));
            return await module;
        }
        finally {
            if (!had)
                delete scope.__dirname;
        }
    })();
    return parser;
}
function lines(text) {
    let count = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1))
        count += 1;
    return count;
}


/***/ }),

/***/ 9293:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Br: () => (/* binding */ renderSummary),
/* harmony export */   Iu: () => (/* binding */ toOutputs),
/* harmony export */   formatBytes: () => (/* binding */ formatBytes),
/* harmony export */   wQ: () => (/* binding */ renderComment)
/* harmony export */ });
/* unused harmony exports MAX_LISTED_IN_OUTPUT, escapeHtml, escapeMarkdown, codeSpan, formatDuration, MAX_SUMMARY_BYTES */
/* harmony import */ var _db_connect_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3688);
/* harmony import */ var _review_describe_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(5427);


/**
 * How many file names the `applied` and `pending` outputs hold at most (the first ones, in id order):
 * step outputs have size limits of their own, and 100,000 names would pass them. The counts are exact.
 */
const MAX_LISTED_IN_OUTPUT = 1_000;
/** The review's findings that no ignore comment silenced. Pure. */
function activeFindings(result) {
    return (result.findings ?? []).filter((f) => !f.ignored);
}
/** The step outputs of a result; every output is set, on failure too. Pure. */
function toOutputs(result) {
    return {
        status: result.status,
        revision: result.revision?.id ?? '',
        'revision-name': result.revision?.name ?? '',
        'previous-revision': result.previous?.id ?? '',
        'applied-count': String(result.applied.length),
        applied: JSON.stringify(result.applied.slice(0, MAX_LISTED_IN_OUTPUT).map((a) => a.fileName)),
        'pending-count': result.pending ? String(result.pending.length) : '',
        pending: result.pending ? JSON.stringify(result.pending.slice(0, MAX_LISTED_IN_OUTPUT)) : '',
        'rolled-back-count': String(result.rolledBack?.length ?? 0),
        'rolled-back': JSON.stringify((result.rolledBack ?? []).slice(0, MAX_LISTED_IN_OUTPUT).map((a) => a.fileName)),
        'backup-path': result.backup?.path ?? '',
        'findings-count': String(activeFindings(result).length),
        findings: JSON.stringify(activeFindings(result)
            .slice(0, MAX_LISTED_IN_OUTPUT)
            .map(({ rule, file, line, statement, message }) => ({ rule, file, line: line ?? null, statement, message }))),
        error: result.error?.message ?? '',
    };
}
function title(result) {
    switch (result.status) {
        case 'applied':
            return '✅ Migrations applied';
        case 'up-to-date':
            if (result.command === 'rollback')
                return '✅ Nothing to roll back';
            return result.command === 'apply' || result.command === 'status' ? '✅ Database up to date' : '✅ Nothing pending';
        case 'pending':
            if (result.command === 'rollback')
                return '📋 Rollback dry run: migrations to undo';
            return result.command === 'check'
                ? '❌ Migrations pending: the database is behind'
                : result.command === 'status'
                    ? '📋 Database status: migrations pending'
                    : '📋 Migrations to apply';
        case 'baselined':
            return '✅ Database baselined';
        case 'rolled-back':
            return '↩️ Migrations rolled back';
        case 'failed':
            return `❌ ${result.command === 'apply' ? 'Migration' : result.command[0].toUpperCase() + result.command.slice(1)} failed`;
    }
}
/** Longest SQL shown per file (the rest of the summary's budget is shared, see MAX_SUMMARY_BYTES). */
const MAX_SQL_PER_FILE = 20_000;
/** The longest run of backticks in `text` (0 when none). Pure. */
function longestBacktickRun(text) {
    return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}
/** A code fence longer than any run of backticks in `text`. */
function fenceFor(text) {
    return '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
}
function formatBytes(bytes) {
    if (bytes < 1024)
        return `${bytes} B`;
    if (bytes < 1024 ** 2)
        return `${(bytes / 1024).toFixed(1)} KiB`;
    if (bytes < 1024 ** 3)
        return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
    return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
/** Text as HTML shows it, on one line: in an HTML block (`<details>`), where markdown is not read. Pure. */
function escapeHtml(text) {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r\n|\r|\n/g, ' ');
}
/** escapeHtml, and no column break in a table: what a code span's text needs (backslashes show there). */
function cellText(text) {
    return escapeHtml(text).replace(/\|/g, '\\|');
}
/**
 * Text for a markdown table cell, heading or line: no HTML, no column breaks, one line, and no code span,
 * link or image of its own (a file or table name may hold `` ` ``, `[` or `]`). Pure.
 */
function escapeMarkdown(text) {
    return cellText(text.replace(/[\\`[\]]/g, '\\$&'));
}
/**
 * A code span of `text`: delimited by more backticks than any run inside it, so that a name holding
 * backticks cannot close it and go on as markdown. Pure.
 */
function codeSpan(text) {
    const inner = cellText(text);
    const fence = '`'.repeat(longestBacktickRun(inner) + 1);
    const pad = inner.startsWith('`') || inner.endsWith('`') ? ' ' : '';
    return `${fence}${pad}${inner}${pad}${fence}`;
}
function revisionText(revision) {
    if (!revision)
        return 'unknown';
    if (revision.none)
        return revision.id === '' ? 'none' : `${escapeMarkdown(revision.id)} (none)`;
    return revision.name === '' ? escapeMarkdown(revision.id) : `${escapeMarkdown(revision.id)} (${escapeMarkdown(revision.name)})`;
}
function formatDuration(ms) {
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
/**
 * GitHub drops a job summary over 1 MiB; we stay well under it, whatever the number of files: the
 * lists (SQL of pending files, applied, pending, recorded) are cut where the budget ends, with a line
 * that says how many were left out. Counts in the table above stay exact; the log has every name.
 */
const MAX_SUMMARY_BYTES = 900 * 1024;
/** The job summary: what a reviewer wants to see after a deploy's migration step. Pure. */
function renderSummary(result, limit = { maxBytes: MAX_SUMMARY_BYTES, what: 'summary' }) {
    const head = [];
    head.push(`## ${title(result)}`, '');
    head.push('| | |', '|---|---|');
    if (result.endpoint)
        head.push(`| Database | ${codeSpan((0,_db_connect_js__WEBPACK_IMPORTED_MODULE_0__/* .describeEndpoint */ .N2)(result.endpoint))} |`);
    if (result.engine)
        head.push(`| Engine | ${result.engine} |`);
    head.push(`| Command | \`${result.command}\` |`);
    head.push(`| Status | \`${result.status}\` |`);
    if (result.targetRevision !== undefined)
        head.push(`| Target revision | ${escapeMarkdown(result.targetRevision)} |`);
    const before = revisionText(result.previous);
    const after = revisionText(result.revision);
    head.push(`| Revision | ${before === after ? after : `${before} → ${after}`} |`);
    if (result.command === 'rollback')
        head.push(`| Rolled back | ${result.rolledBack?.length ?? 0} |`);
    else
        head.push(`| Applied | ${result.applied.length} |`);
    head.push(`| Pending | ${result.pending ? result.pending.length : 'unknown'} |`);
    if (result.backup)
        head.push(`| Backup | ${codeSpan(result.backup.path)} |`);
    head.push(`| Duration | ${formatDuration(result.durationMs)} |`);
    head.push('');
    // A rollback shows its backup (and how to restore it) right after what it undid; other commands here.
    const backup = [];
    if (result.backup) {
        const b = result.backup;
        backup.push('### Backup', '');
        backup.push('| | |', '|---|---|');
        backup.push(`| File | ${codeSpan(b.path)} |`);
        backup.push(`| Size | ${formatBytes(b.sizeBytes)} |`);
        backup.push(`| Duration | ${formatDuration(b.durationMs)} |`);
        backup.push(`| pg_dump | ${escapeMarkdown(b.pgDump.version)} (${codeSpan(b.pgDump.path)}) |`);
        if (result.backupsRemoved && result.backupsRemoved.length > 0) {
            const names = result.backupsRemoved.slice(0, 50).map((file) => codeSpan(file.split('/').pop()));
            backup.push(`| Older dumps removed (backup-retention) | ${names.join(', ')}${result.backupsRemoved.length > 50 ? ` and ${result.backupsRemoved.length - 50} more` : ''} |`);
        }
        backup.push('', 'Restore (on the runner that holds the file, with `DATABASE_URL` set):', '', '```sh', b.restoreCommand, '```', '');
    }
    if (result.command !== 'rollback')
        head.push(...backup);
    const error = [];
    if (result.error) {
        const where = result.error.location;
        error.push('### Error', '');
        if (where) {
            const at = where.line === undefined ? '' : `, line ${where.line}${where.column === undefined ? '' : `, column ${where.column}`}`;
            error.push(`**${codeSpan(where.file)}${at}**`, '');
        }
        error.push('```text', result.error.message.replace(/```/g, "'''").slice(0, 20_000), '```', '');
        const pg = result.error.pg;
        if (pg?.code) {
            error.push(`PostgreSQL error code ${codeSpan(pg.code)}.`, '');
        }
        error.push('The deploy that depends on this step will not run.', '');
    }
    // postgres-migrations says "without a transaction" with a marker line in the file: name it.
    const marker = result.engine === undefined || result.engine === 'postgres-migrations' ? ' (disable-transaction)' : '';
    let budget = limit.maxBytes - bytes(head) - bytes(error) - (result.command === 'rollback' ? bytes(backup) : 0);
    /** A titled list of blocks, as many as fit in what is left of the budget, then how many were left out. */
    const section = (heading, blocks, what) => {
        if (blocks.length === 0)
            return [];
        const out = [...heading];
        budget -= bytes(heading);
        let shown = 0;
        for (const block of blocks) {
            const size = bytes(block);
            if (size > budget - 200)
                break;
            out.push(...block);
            budget -= size;
            shown += 1;
        }
        if (shown < blocks.length) {
            const note = `(${blocks.length - shown} more ${what} not shown here, to keep this ${limit.what} under GitHub's size limit; the log lists them all.)`;
            out.push('', note, '');
            budget -= note.length + 2;
        }
        out.push('');
        return out;
    };
    const history = section(['### Applied migrations', '', '| Id | File | Applied at |', '|---|---|---|'], (result.history ?? []).map((entry) => [
        `| ${escapeMarkdown(entry.id)} | ${codeSpan(entry.fileName)} | ${entry.appliedAt ? escapeMarkdown(entry.appliedAt) : 'not recorded by the engine'} |`,
    ]), 'applied migrations');
    const planned = section([`### ${result.command === 'check' || result.command === 'status' ? 'Pending' : 'apply would run'}`, ''], (result.planned ?? []).map((entry) => [
        ...sqlDetails(entry, marker, '', 'the engine does not say what SQL this runs'),
        ...reviewTable(result.review?.find((r) => r.migration.id === entry.id), result.shadow, entry),
    ]), 'pending migrations');
    const shadowNote = result.shadow ? [shadowLine(result.shadow), ''] : [];
    const undo = section(['### rollback would undo', '', 'Latest first; nothing was changed and no lock was taken.', ''], (result.undo ?? []).map(({ migration, drops }) => {
        const dropped = drops === undefined
            ? migration.sql === undefined
                ? ''
                : ' — its SQL could not be parsed: read it'
            : drops.length === 0
                ? ' — drops nothing'
                : ` — **drops ${escapeHtml(drops.slice(0, 20).join(', '))}${drops.length > 20 ? ` and ${drops.length - 20} more` : ''}**`;
        return sqlDetails(migration, marker, dropped, 'the engine does not say what SQL undoes this');
    }), 'migrations to undo');
    const rolledBack = section(['### Rolled back', '', 'Latest first.', '', '| Id | Undone with | Transaction | Duration |', '|---:|---|---|---:|'], (result.rolledBack ?? []).map((entry) => [
        `| ${escapeMarkdown(entry.id)} | ${codeSpan(entry.label)} | ${entry.transaction === undefined ? 'as the engine runs it' : entry.transaction ? 'yes' : `no${marker}`} | ${entry.durationMs === undefined ? 'not timed one by one' : formatDuration(entry.durationMs)} |`,
    ]), 'rolled-back migrations');
    const findings = section(['### Review findings', '', '| File | Line | Rule | Finding |', '|---|---:|---|---|'], activeFindings(result).map((f) => [
        `| ${codeSpan(f.file)} | ${f.line ?? ''} | \`${f.rule}\` | ${escapeMarkdown(f.detail)} |`,
    ]), 'findings');
    const silenced = section(['### Silenced findings', '', '| File | Line | Rule | Reason |', '|---|---:|---|---|'], (result.findings ?? [])
        .filter((f) => f.ignored)
        .map((f) => [`| ${codeSpan(f.file)} | ${f.line ?? ''} | \`${f.rule}\` | ${escapeMarkdown(f.ignored)} |`]), 'silenced findings');
    const baselined = section(['### Recorded as applied (not run)', ''], (result.baselined ?? []).map((name) => [`- ${codeSpan(name)}`]), 'recorded migrations');
    const applied = section(['### Applied', '', '| Id | File | Transaction | Duration |', '|---:|---|---|---:|'], result.applied.map((entry) => [
        `| ${escapeMarkdown(entry.id)} | ${codeSpan(entry.label)} | ${entry.transaction === undefined ? 'as the engine runs it' : entry.transaction ? 'yes' : `no${marker}`} | ${entry.durationMs === undefined ? 'not timed one by one' : formatDuration(entry.durationMs)} |`,
    ]), 'applied migrations');
    const pending = section(['### Still pending', ''], (result.pending ?? []).map((name) => [`- ${codeSpan(name)}`]), 'pending migrations');
    const backupAfter = result.command === 'rollback' ? backup : [];
    return [...head, ...findings, ...silenced, ...history, ...shadowNote, ...planned, ...undo, ...baselined, ...applied, ...rolledBack, ...backupAfter, ...error, ...pending].join('\n');
}
/**
 * The plan as a pull or merge request comment: the summary within the comment's size, and a last line
 * that says what it is about and where it comes from (it is replaced on every push). Pure.
 */
function renderComment(result, context) {
    const footer = [
        '',
        `<sub>migrate-action ${result.command} of <code>${escapeMarkdown(context.migrations)}</code>` +
            (context.commit ? ` at ${context.commit.slice(0, 12)}` : '') +
            (context.jobUrl ? ` · [job](${context.jobUrl.replace(/\(/g, '%28').replace(/\)/g, '%29')})` : '') +
            ' · updated on every push</sub>',
    ];
    return [renderSummary(result, { maxBytes: context.maxBytes - bytes(footer), what: 'comment' }), ...footer].join('\n');
}
/** What a pending migration's statements lock, for the plan: a table per file, or why it is not known. Pure. */
function reviewTable(review, shadow, migration) {
    const notRun = shadow?.notRun.find((n) => n.migration.id === migration.id);
    const skipped = notRun ? [`On the shadow copy: ${escapeMarkdown(notRun.why)}.`, ''] : [];
    if (!review)
        return skipped;
    if (!review.statements)
        return [`What it locks is not known before it runs: ${escapeMarkdown(review.note ?? '')}.`, '', ...skipped];
    const verdicts = new Map((shadow?.statements ?? []).filter((s) => s.migration.id === migration.id).map((s) => [s.index, s]));
    const rows = review.statements
        .map((statement, index) => ({ statement, shadowed: verdicts.get(index) }))
        .filter(({ statement, shadowed }) => statement.locks.length > 0 || statement.rewrites || shadowed?.verdict.kind === 'mismatch');
    if (rows.length === 0)
        return ['It takes no table lock.', '', ...skipped];
    const extra = shadow ? ' On the shadow copy |' : '';
    return [
        `| Line | Statement | Locks, and what they block |${extra}`,
        `|---:|---|---|${shadow ? '---|' : ''}`,
        ...rows
            .slice(0, 200)
            .map(({ statement, shadowed }) => `| ${(0,_review_describe_js__WEBPACK_IMPORTED_MODULE_1__/* .fileLine */ .RO)(review.migration, statement.line) ?? ''} | ${escapeMarkdown(statement.kind)} | ${escapeMarkdown((0,_review_describe_js__WEBPACK_IMPORTED_MODULE_1__/* .describeStatement */ .Zc)(statement, formatBytes))} |` +
            (shadow ? ` ${shadowed ? escapeMarkdown(verdictText(shadowed)) : shadow.engineRun ? `applied by ${escapeMarkdown(shadow.engineRun.engine)}, not watched` : 'not run'} |` : '')),
        ...(rows.length > 200 ? [`| | (${rows.length - 200} more statements; the log lists them) | |${shadow ? ' |' : ''}`] : []),
        '',
        ...skipped,
    ];
}
/** A shadow verdict in a cell: `confirmed`, `**mismatch**: …`, `not observed: …`. Pure. */
function verdictText({ verdict, observed }) {
    if (verdict.kind === 'confirmed')
        return 'confirmed';
    if (verdict.kind === 'mismatch')
        return `**mismatch**: ${verdict.detail}`;
    return `not observed: ${verdict.why}${observed ? ` (saw ${observed})` : ''}`;
}
/** The shadow run in one line, for the plan's summary. Pure. */
function shadowLine(shadow) {
    if (shadow.engineRun) {
        const { engine, applied, why } = shadow.engineRun;
        return (`${escapeMarkdown(engine)} applied the ${applied} pending migration(s) on a copy of the schema (${shadow.tables} tables) in the shadow database at ${escapeMarkdown(shadow.shadow)}, then it was emptied again: ` +
            `${escapeMarkdown(why)}, so the engine itself ran them, and their statements were not watched one by one.`);
    }
    const count = (kind) => shadow.statements.filter((s) => s.verdict.kind === kind).length;
    return (`The pending statements ran one by one on a copy of the schema (${shadow.tables} tables) in the shadow database at ${escapeMarkdown(shadow.shadow)}, ` +
        `then emptied again: ${count('confirmed')} confirmed, ${count('mismatch')} mismatch, ${count('not observed')} not observed` +
        `${shadow.notRun.length > 0 ? `, ${shadow.notRun.length} migration(s) not run` : ''}.`);
}
/**
 * A migration's SQL folded under its label, with how it runs (and `extra` after it in the summary line);
 * the note in place of SQL the engine cannot tell before it runs. Pure.
 */
function sqlDetails(migration, marker, extra, unknown) {
    const mode = migration.transaction === undefined ? '' : migration.transaction ? ', in a transaction' : `, **without a transaction**${marker}`;
    const sql = migration.sql ?? `-- ${migration.sqlNote ?? unknown}`;
    const shown = sql.length > MAX_SQL_PER_FILE ? sql.slice(0, MAX_SQL_PER_FILE) : sql;
    const fence = fenceFor(shown);
    const block = [`<details><summary><code>${escapeHtml(migration.label)}</code>${mode}${extra}</summary>`, '', `${fence}sql`, shown.replace(/\n$/, ''), fence];
    if (shown.length < sql.length)
        block.push('', `(${sql.length - shown.length} more characters not shown)`);
    block.push('', '</details>', '');
    return block;
}
/** UTF-8 size of lines joined by newlines. */
function bytes(lines) {
    let total = 0;
    for (const line of lines)
        total += Buffer.byteLength(line, 'utf8') + 1;
    return total;
}


/***/ }),

/***/ 5427:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   RO: () => (/* binding */ fileLine),
/* harmony export */   Zc: () => (/* binding */ describeStatement)
/* harmony export */ });
/* unused harmony export roughCount */
/* harmony import */ var _locks_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3924);

/** The line of the file a statement at `line` of `migration.sql` is at; undefined when the SQL is not the file's text. Pure. */
function fileLine(migration, line) {
    return migration.sqlLine === undefined ? undefined : migration.sqlLine + line - 1;
}
/** `~300M rows` from an estimate. Pure. */
function roughCount(rows) {
    if (rows < 1_000)
        return `~${Math.round(rows)}`;
    if (rows < 1_000_000)
        return `~${(rows / 1_000).toFixed(rows < 10_000 ? 1 : 0)}k`;
    if (rows < 1_000_000_000)
        return `~${(rows / 1_000_000).toFixed(rows < 10_000_000 ? 1 : 0)}M`;
    return `~${(rows / 1_000_000_000).toFixed(1)}G`;
}
/**
 * One line per statement: `ACCESS EXCLUSIVE on orders (48 GB, ~300M rows); blocks reads and writes;
 * rewrites the table`. Pure.
 */
function describeStatement(statement, formatBytes) {
    const parts = statement.locks.map((lock) => {
        const size = statement.sizes.get(lock.relation);
        const shown = size ? ` (${formatBytes(size.bytes)}${size.rows === undefined ? '' : `, ${roughCount(size.rows)} rows`})` : '';
        return `${(0,_locks_js__WEBPACK_IMPORTED_MODULE_0__/* .lockName */ .l4)(lock.mode)} on ${lock.relation}${shown}`;
    });
    const strongest = statement.locks.map((l) => l.mode).reduce((a, b) => (a === undefined ? b : (0,_locks_js__WEBPACK_IMPORTED_MODULE_0__/* .stronger */ .t_)(a, b)), undefined);
    const effects = [
        ...(strongest ? [`blocks ${(0,_locks_js__WEBPACK_IMPORTED_MODULE_0__/* .blocks */ .Bv)(strongest)}`] : []),
        ...(statement.rewrites ? ['rewrites the table'] : statement.scans ? ['reads the whole table'] : []),
    ];
    return [parts.length > 0 ? parts.join(', ') : 'no table lock', ...effects].join('; ');
}


/***/ }),

/***/ 3924:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Bv: () => (/* binding */ blocks),
/* harmony export */   bx: () => (/* binding */ LOCK_MODES),
/* harmony export */   l4: () => (/* binding */ lockName),
/* harmony export */   t_: () => (/* binding */ stronger)
/* harmony export */ });
/** PostgreSQL's table lock modes: names, strength, what each blocks. Pure, and small: the job summary uses it. */
/** PostgreSQL's table lock modes, weakest first. */
const LOCK_MODES = [
    'AccessShareLock',
    'RowShareLock',
    'RowExclusiveLock',
    'ShareUpdateExclusiveLock',
    'ShareLock',
    'ShareRowExclusiveLock',
    'ExclusiveLock',
    'AccessExclusiveLock',
];
/** A lock mode as the documentation writes it: ACCESS EXCLUSIVE. Pure. */
function lockName(mode) {
    return mode
        .replace(/Lock$/, '')
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .toUpperCase();
}
/** What a lock mode keeps others from doing, in the words a reviewer needs. Pure. */
function blocks(mode) {
    if (mode === 'AccessExclusiveLock')
        return 'reads and writes';
    if (mode === 'ExclusiveLock' || mode === 'ShareRowExclusiveLock' || mode === 'ShareLock')
        return 'writes';
    if (mode === 'ShareUpdateExclusiveLock')
        return 'schema changes';
    return 'nothing of the application';
}
function stronger(a, b) {
    return LOCK_MODES.indexOf(a) >= LOCK_MODES.indexOf(b) ? a : b;
}


/***/ }),

/***/ 5875:
/***/ (() => {

/**
 * Imported first by the entry, before pg loads. Node 21 and later define `navigator.userAgent`
 * ("Node.js/<major>"); Node 20 does not, and then pg tells Node from Cloudflare Workers by constructing
 * a fetch `Response`, which loads Node's whole fetch implementation: ~10 ms of every run (measured by
 * `npm run bench`, start-up). Define what newer Node defines, only where it is missing.
 */
const scope = globalThis;
if (scope.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', {
        value: Object.freeze({ userAgent: `Node.js/${process.versions.node.split('.')[0]}` }),
        configurable: true,
        writable: true,
        enumerable: false,
    });
}



/***/ }),

/***/ 150:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   $w: () => (/* binding */ UNSET_VARIABLE),
/* harmony export */   E$: () => (/* binding */ redact),
/* harmony export */   K$: () => (/* binding */ connectionSecrets),
/* harmony export */   v5: () => (/* binding */ redactExcept)
/* harmony export */ });
/* unused harmony exports passwordFromFile, pgpassFields, secretForms */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3024);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(8161);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(6760);



/**
 * Every password that may reach the driver or pg_dump, in every form: the URL's (as written, decoded,
 * re-encoded; also `?password=`), else PGPASSWORD, else the line of the password file (PGPASSFILE or
 * ~/.pgpass) that matches the URL's host, port, database and user. All of them are secrets.
 */
function connectionSecrets(databaseUrl, env) {
    const forms = new Set(secretForms(databaseUrl));
    const more = [env.PGPASSWORD ?? '', passwordFromFile(databaseUrl, env) ?? ''];
    // Not percent-encoded where they come from: encode first, so that a literal % is not decoded.
    for (const password of more.filter((p) => p.length > 0)) {
        for (const form of passwordForms(encodeURIComponent(password)))
            forms.add(form);
    }
    return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}
/** The password libpq would take from the password file for this URL; undefined when none matches. */
function passwordFromFile(databaseUrl, env) {
    let url;
    try {
        url = new URL(databaseUrl.trim().replace(/@(?=[/?#]|$)/, '@localhost'));
    }
    catch {
        return undefined;
    }
    const file = env.PGPASSFILE || node_path__WEBPACK_IMPORTED_MODULE_2__.join(env.HOME || node_os__WEBPACK_IMPORTED_MODULE_1__.homedir(), '.pgpass');
    let text;
    try {
        text = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(file, 'utf8');
    }
    catch {
        return undefined;
    }
    const query = url.searchParams;
    const decode = (text) => {
        try {
            return decodeURIComponent(text);
        }
        catch {
            return text; // bad percent-encoding: config.ts says so; the lookup goes on with the text as written
        }
    };
    const wanted = [
        query.get('host') || url.hostname || 'localhost',
        query.get('port') || url.port || '5432',
        decode(url.pathname.slice(1)) || '*',
        query.get('user') || decode(url.username) || env.PGUSER || node_os__WEBPACK_IMPORTED_MODULE_1__.userInfo().username,
    ];
    for (const line of text.split(/\r?\n/)) {
        if (line.trim() === '' || line.startsWith('#'))
            continue;
        const fields = pgpassFields(line);
        if (fields.length < 5)
            continue;
        if (wanted.every((value, i) => fields[i] === '*' || fields[i] === value))
            return fields[4];
    }
    return undefined;
}
/** A password file line's fields: split on colons, with \: and \\ standing for themselves. Pure. */
function pgpassFields(line) {
    const fields = [];
    let field = '';
    for (let i = 0; i < line.length; i += 1) {
        const char = line[i];
        if (char === '\\' && i + 1 < line.length) {
            field += line[i + 1];
            i += 1;
        }
        else if (char === ':' && fields.length < 4) {
            fields.push(field);
            field = '';
        }
        else {
            field += char;
        }
    }
    fields.push(field);
    return fields;
}
/**
 * Every form in which the database password may appear: as written in the URL, decoded, and re-encoded.
 * Computed from the raw input before it is validated, so that even a malformed URL is masked.
 */
function secretForms(databaseUrl) {
    const forms = new Set();
    const url = databaseUrl.trim();
    if (url === '')
        return [];
    forms.add(databaseUrl);
    forms.add(url);
    // The password as written between `user:` and the last `@`, and as a URL parser (and pg) reads it: they
    // differ when the query holds an `@` too. pg also takes a password from `?password=`.
    for (const raw of [rawPassword(url), ...parsedPasswords(url)]) {
        if (raw)
            for (const form of passwordForms(raw))
                forms.add(form);
    }
    return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}
/** A password as written (perhaps percent-encoded), decoded, and encoded both ways URLs encode it. */
function passwordForms(raw) {
    let decoded = raw;
    try {
        decoded = decodeURIComponent(raw);
    }
    catch {
        // bad percent-encoding: the raw form is all we can know
    }
    return [
        raw,
        decoded,
        encodeURIComponent(decoded),
        // the WHATWG URL serializer leaves some characters (e.g. ! * ' ( )) unencoded
        decoded.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=]/g, (c) => encodeURIComponent(c)),
    ];
}
function parsedPasswords(url) {
    try {
        const parsed = new URL(url);
        return [parsed.password, parsed.searchParams.get('password') ?? ''];
    }
    catch {
        return [];
    }
}
/**
 * The password as written between `user:` and the last `@` of the authority. Works on malformed URLs
 * too (e.g. an unencoded `@` or `/` in the password), because masking must not depend on validity.
 */
function rawPassword(url) {
    const schemeEnd = url.indexOf('://');
    if (schemeEnd < 0)
        return undefined;
    const rest = url.slice(schemeEnd + 3);
    const at = rest.lastIndexOf('@');
    if (at < 0)
        return undefined;
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon < 0)
        return undefined;
    return userinfo.slice(colon + 1);
}
/**
 * A token input that is only a variable's reference (`$NAME`, `${NAME}`): what GitLab leaves when the
 * variable it names is not given to the job. It holds nothing secret, and names the variable.
 */
const UNSET_VARIABLE = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/;
/** Replace every secret form in `text` with `***`. A second line of defence behind the runner's masking. */
function redact(text, secrets) {
    let out = text;
    for (const secret of secrets) {
        if (secret.length > 0)
            out = out.split(secret).join('***');
    }
    return out;
}
/**
 * redact(), but occurrences of `keep` (public names, such as migration files) are left whole, so that a
 * short password inside a file name does not turn `2_create-orders.sql` into `2_create-***.sql`. Pure.
 */
function redactExcept(text, secrets, keep) {
    const present = secrets.filter((secret) => secret.length > 0 && text.includes(secret));
    if (present.length === 0)
        return text;
    // Only names that hold a secret need keeping (a run may have 100,000 names).
    const holders = keep.filter((name) => present.some((secret) => name.includes(secret)));
    const kept = [];
    // Markers of characters no password holds (NUL cannot be in a URL; the middle one is private-use).
    const marker = (i) => `\u0000${String.fromCharCode(0xe000 + i)}\u0000`;
    let out = text;
    for (const name of [...holders].sort((a, b) => b.length - a.length)) {
        if (name.length === 0 || !out.includes(name))
            continue;
        out = out.split(name).join(marker(kept.length));
        kept.push(name);
    }
    out = redact(out, present);
    kept.forEach((name, i) => {
        out = out.split(marker(i)).join(name);
    });
    return out;
}


/***/ }),

/***/ 3411:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   x: () => (/* binding */ VERSION)
/* harmony export */ });
/** The package version (a unit test keeps it equal to package.json's). */
const VERSION = '0.1.0';


/***/ }),

/***/ 984:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   qg: () => (/* binding */ parse)
/* harmony export */ });
/* unused harmony exports toClientConfig, parseIntoClientConfig */
/* harmony import */ var _index_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(6122);
// ESM wrapper for pg-connection-string


// Re-export the parse function
/* unused harmony default export */ var __WEBPACK_DEFAULT_EXPORT__ = (_index_js__WEBPACK_IMPORTED_MODULE_0__.parse);
const parse = _index_js__WEBPACK_IMPORTED_MODULE_0__.parse
const toClientConfig = _index_js__WEBPACK_IMPORTED_MODULE_0__.toClientConfig
const parseIntoClientConfig = _index_js__WEBPACK_IMPORTED_MODULE_0__.parseIntoClientConfig


/***/ }),

/***/ 3849:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Ay: () => (__WEBPACK_DEFAULT_EXPORT__)
/* harmony export */ });
/* unused harmony exports Client, Pool, Connection, types, Query, DatabaseError, escapeIdentifier, escapeLiteral, Result, TypeOverrides, defaults */
/* harmony import */ var _lib_index_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3273);
// ESM wrapper for pg


// Re-export all the properties
const Client = _lib_index_js__WEBPACK_IMPORTED_MODULE_0__.Client
const Pool = _lib_index_js__WEBPACK_IMPORTED_MODULE_0__.Pool
const Connection = _lib_index_js__WEBPACK_IMPORTED_MODULE_0__.Connection
const types = _lib_index_js__WEBPACK_IMPORTED_MODULE_0__.types
const Query = _lib_index_js__WEBPACK_IMPORTED_MODULE_0__.Query
const DatabaseError = _lib_index_js__WEBPACK_IMPORTED_MODULE_0__.DatabaseError
const escapeIdentifier = _lib_index_js__WEBPACK_IMPORTED_MODULE_0__.escapeIdentifier
const escapeLiteral = _lib_index_js__WEBPACK_IMPORTED_MODULE_0__.escapeLiteral
const Result = _lib_index_js__WEBPACK_IMPORTED_MODULE_0__.Result
const TypeOverrides = _lib_index_js__WEBPACK_IMPORTED_MODULE_0__.TypeOverrides

// Also export the defaults
const defaults = _lib_index_js__WEBPACK_IMPORTED_MODULE_0__.defaults

// Re-export the default
/* harmony default export */ const __WEBPACK_DEFAULT_EXPORT__ = (_lib_index_js__WEBPACK_IMPORTED_MODULE_0__);


/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/******/ // expose the modules object (__webpack_modules__)
/******/ __nccwpck_require__.m = __webpack_modules__;
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/create fake namespace object */
/******/ (() => {
/******/ 	var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 	var leafPrototypes;
/******/ 	// create a fake namespace object
/******/ 	// mode & 1: value is a module id, require it
/******/ 	// mode & 2: merge all properties of value into the ns
/******/ 	// mode & 4: return value when already ns object
/******/ 	// mode & 16: return value when it's Promise-like
/******/ 	// mode & 8|1: behave like require
/******/ 	__nccwpck_require__.t = function(value, mode) {
/******/ 		if(mode & 1) value = this(value);
/******/ 		if(mode & 8) return value;
/******/ 		if(typeof value === 'object' && value) {
/******/ 			if((mode & 4) && value.__esModule) return value;
/******/ 			if((mode & 16) && typeof value.then === 'function') return value;
/******/ 		}
/******/ 		var ns = Object.create(null);
/******/ 		__nccwpck_require__.r(ns);
/******/ 		var def = {};
/******/ 		leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 		for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 			Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 		}
/******/ 		def['default'] = () => (value);
/******/ 		__nccwpck_require__.d(ns, def);
/******/ 		return ns;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/ensure chunk */
/******/ (() => {
/******/ 	__nccwpck_require__.f = {};
/******/ 	// This file contains only the entry chunk.
/******/ 	// The chunk loading function for additional chunks
/******/ 	__nccwpck_require__.e = (chunkId) => {
/******/ 		return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 			__nccwpck_require__.f[key](chunkId, promises);
/******/ 			return promises;
/******/ 		}, []));
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/get javascript chunk filename */
/******/ (() => {
/******/ 	// This function allow to reference async chunks
/******/ 	__nccwpck_require__.u = (chunkId) => {
/******/ 		// return url for filenames based on template
/******/ 		return "" + chunkId + ".index.js";
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/make namespace object */
/******/ (() => {
/******/ 	// define __esModule on exports
/******/ 	__nccwpck_require__.r = (exports) => {
/******/ 		if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 			Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 		}
/******/ 		Object.defineProperty(exports, '__esModule', { value: true });
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/import chunk loading */
/******/ (() => {
/******/ 	// no baseURI
/******/ 	
/******/ 	// object to store loaded and loading chunks
/******/ 	// undefined = chunk not loaded, null = chunk preloaded/prefetched
/******/ 	// [resolve, Promise] = chunk loading, 0 = chunk loaded
/******/ 	var installedChunks = {
/******/ 		792: 0
/******/ 	};
/******/ 	
/******/ 	var installChunk = (data) => {
/******/ 		var {ids, modules, runtime} = data;
/******/ 		// add "modules" to the modules object,
/******/ 		// then flag all "ids" as loaded and fire callback
/******/ 		var moduleId, chunkId, i = 0;
/******/ 		for(moduleId in modules) {
/******/ 			if(__nccwpck_require__.o(modules, moduleId)) {
/******/ 				__nccwpck_require__.m[moduleId] = modules[moduleId];
/******/ 			}
/******/ 		}
/******/ 		if(runtime) runtime(__nccwpck_require__);
/******/ 		for(;i < ids.length; i++) {
/******/ 			chunkId = ids[i];
/******/ 			if(__nccwpck_require__.o(installedChunks, chunkId) && installedChunks[chunkId]) {
/******/ 				installedChunks[chunkId][0]();
/******/ 			}
/******/ 			installedChunks[ids[i]] = 0;
/******/ 		}
/******/ 	
/******/ 	}
/******/ 	
/******/ 	__nccwpck_require__.f.j = (chunkId, promises) => {
/******/ 			// import() chunk loading for javascript
/******/ 			var installedChunkData = __nccwpck_require__.o(installedChunks, chunkId) ? installedChunks[chunkId] : undefined;
/******/ 			if(installedChunkData !== 0) { // 0 means "already installed".
/******/ 	
/******/ 				// a Promise means "currently loading".
/******/ 				if(installedChunkData) {
/******/ 					promises.push(installedChunkData[1]);
/******/ 				} else {
/******/ 					if(true) { // all chunks have JS
/******/ 						// setup Promise in chunk cache
/******/ 						var promise = import("./" + __nccwpck_require__.u(chunkId)).then(installChunk, (e) => {
/******/ 							if(installedChunks[chunkId] !== 0) installedChunks[chunkId] = undefined;
/******/ 							throw e;
/******/ 						});
/******/ 						var promise = Promise.race([promise, new Promise((resolve) => (installedChunkData = installedChunks[chunkId] = [resolve]))])
/******/ 						promises.push(installedChunkData[1] = promise);
/******/ 					}
/******/ 				}
/******/ 			}
/******/ 	};
/******/ 	
/******/ 	// no prefetching
/******/ 	
/******/ 	// no preloaded
/******/ 	
/******/ 	// no external install chunk
/******/ 	
/******/ 	// no on chunks loaded
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(5691);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
