// Package output holds the one type every generator returns, a file to write,
// and the one function that writes files. Generators stay pure: they return
// Files and never touch the file system themselves.
package output
